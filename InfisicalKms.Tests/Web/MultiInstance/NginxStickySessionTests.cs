using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using Xunit.Abstractions;

namespace InfisicalKms.Tests.Web.MultiInstance;

/// <summary>
/// Issue #14, sticky sessions: the shipped nginx example (<c>deploy/nginx/infisical-kms.conf</c>) in front of
/// three instances of the real server on one PostgreSQL. A browser is pinned to one instance from its first
/// request, so its Blazor circuit (state in one instance's memory, over a WebSocket) keeps working; API
/// requests spread over every instance; and what one instance issues to a browser (the sign-in cookie, an
/// antiforgery token) another accepts, which is what lets the affinity move when an instance goes away.
/// </summary>
[Trait("Category", "MultiInstance")]
public sealed partial class NginxStickySessionTests(NginxStickySessionTests.Fixture fixture, ITestOutputHelper output)
    : IClassFixture<NginxStickySessionTests.Fixture>
{
    private const string Chromium = "/usr/bin/chromium";
    private const string AdminEmail = "admin@example.com";
    private const string AdminPassword = "correct horse battery";   // KmsCluster's bootstrap
    private const string AffinityCookie = "kms_affinity";

    private KmsCluster Cluster => fixture.Cluster;

    private KmsCluster.Instance A => Cluster.Instances[0];

    private KmsCluster.Instance B => Cluster.Instances[1];

    private KmsCluster.Instance C => Cluster.Instances[2];

    private IEnumerable<string> InstanceAuthorities => Cluster.Instances.Select(instance => instance.Address.Authority);

    [Fact]
    public async Task Browser_ThroughNginx_KeepsItsCircuitOnOneInstance_OverSeveralNavigations()
    {
        // Arrange
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install it with `apt-get install chromium` (test.sh does).");
        NginxProxy nginx = await fixture.NginxAsync();
        string root = ExternalTools.RepositoryRoot();
        string folder = Path.Combine(root, "InfisicalKms.Tests", "E2E", "browser");
        // TestResults/e2e is shared with KeyManagementBrowserTests, which may run at the same time: only the
        // screenshot goes there, the browser's state to a file of our own.
        string artifacts = Path.Combine(root, "TestResults", "e2e");
        string stateFile = Path.Combine(Path.GetTempPath(), $"kms-nginx-sticky-{Guid.NewGuid():N}.json");
        Directory.CreateDirectory(artifacts);
        await ExternalTools.NpmCiIfMissingAsync(folder, "playwright-core");
        var environment = new Dictionary<string, string>
        {
            ["KMS_URL"] = nginx.Address.ToString().TrimEnd('/'),
            ["ARTIFACTS"] = artifacts,
            ["STATE_FILE"] = stateFile,
            ["CHROMIUM_PATH"] = Chromium,
            ["ADMIN_EMAIL"] = AdminEmail,
            ["ADMIN_PASSWORD"] = AdminPassword,
        };

        // Act: sign in, create a project and a key, walk five pages (nginx-sticky.test.mjs)
        var clock = Stopwatch.StartNew();
        (int code, string log) = await ExternalTools.RunCombinedAsync("node", "--test --test-reporter=tap nginx-sticky.test.mjs", folder, environment);
        output.WriteLine($"nginx-sticky.test.mjs: exit {code} after {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(log);

        // Assert: the browser's own checks, then nginx's view of the same session
        Assert.True(code == 0, $"node --test nginx-sticky.test.mjs exited with {code}:\n{log}\n{nginx}");
        Assert.Contains("# fail 0", log);
        using JsonDocument state = JsonDocument.Parse(await File.ReadAllTextAsync(stateFile));
        File.Delete(stateFile);
        string affinity = state.RootElement.GetProperty("affinity").GetString()!;
        string instance = state.RootElement.GetProperty("instance").GetString()!;
        Assert.Contains(instance, InstanceAuthorities);

        // The WebSocket's line is written when it closes, which the browser's exit has just done.
        IReadOnlyList<AccessLogEntry> session = await WaitForAccessLogAsync(nginx,
            entries => entries.Any(e => e.Affinity == affinity && e.Status == 101));
        session = [.. session.Where(e => e.Affinity == affinity)];
        output.WriteLine(string.Join('\n', session.Select(e => $"{e.Status} {e.Method} {e.Target} -> {e.Upstream}")));
        Assert.All(session, e => Assert.Equal(instance, e.Upstream));
        Assert.Contains(session, e => e is { Method: "GET", Status: 200 } && e.Target.StartsWith("/Account/Login", StringComparison.Ordinal));
        Assert.Contains(session, e => e is { Method: "POST", Status: 302 } && e.Target.StartsWith("/Account/Login", StringComparison.Ordinal));
        Assert.Contains(session, e => e is { Method: "POST", Status: 200 } && e.Target.StartsWith("/_blazor/negotiate", StringComparison.Ordinal));
        Assert.Single(session, e => e is { Method: "GET", Status: 101 } && e.Target.StartsWith("/_blazor?id=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NewBrowsers_ArePinnedFromTheirFirstRequest_AndSpreadOverTheInstances()
    {
        // Arrange
        NginxProxy nginx = await fixture.NginxAsync();
        var firstInstances = new List<string>();

        for (int browser = 0; browser < 12; browser++)
        {
            using HttpClient client = CookielessClient(nginx.Address);

            // Act: a browser's first request, then three more with the cookie nginx gave it
            using HttpResponseMessage first = await client.GetAsync("/Account/Login");
            string cookie = Cookies(first).Single(c => c.StartsWith(AffinityCookie + "=", StringComparison.Ordinal));
            string firstInstance = Upstream(first);
            var later = new List<string>();
            for (int i = 0; i < 3; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/Account/Login");
                request.Headers.Add("Cookie", cookie.Split(';')[0]);
                using HttpResponseMessage response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.DoesNotContain(Cookies(response), c => c.StartsWith(AffinityCookie + "=", StringComparison.Ordinal));
                later.Add(Upstream(response));
            }

            // Assert: the first request went where its new cookie sends every later one
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Matches("^kms_affinity=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Lax$", cookie);
            Assert.All(later, upstream => Assert.Equal(firstInstance, upstream));
            firstInstances.Add(firstInstance);
        }

        output.WriteLine("browsers per instance: " + string.Join(", ", firstInstances.GroupBy(i => i).Select(g => $"{g.Key} {g.Count()}")));
        Assert.All(firstInstances, i => Assert.Contains(i, InstanceAuthorities));
        Assert.True(firstInstances.Distinct().Count() > 1, "12 new browsers all landed on one instance");
    }

    [Fact]
    public async Task ApiRequestsThroughNginx_ReachEveryInstance_AndEachDecryptsWhatAnotherEncrypted()
    {
        // Arrange
        NginxProxy nginx = await fixture.NginxAsync();
        using HttpClient api = CookielessClient(nginx.Address);
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Cluster.AdminToken);
        string projectId = await LifecycleApi.CreateProjectAsync(api, "Through nginx");
        string keyId = (string)(await LifecycleApi.CreateKeyAsync(api, projectId, LifecycleApi.Name("nginx")))["id"]!;
        var pairs = new List<(string EncryptedOn, string DecryptedOn)>();

        // Act: encrypt and decrypt, each call balanced on its own
        for (int i = 0; i < 12; i++)
        {
            byte[] plaintext = LifecycleApi.Bytes(i, 32);
            using HttpResponseMessage encrypted = await api.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = Convert.ToBase64String(plaintext) });
            string ciphertext = (string)(await ApiAssert.OkAsync(encrypted))["ciphertext"]!;
            using HttpResponseMessage decrypted = await LifecycleApi.DecryptAsync(api, keyId, ciphertext);
            Assert.Equal(plaintext, Convert.FromBase64String((string)(await ApiAssert.OkAsync(decrypted))["plaintext"]!));
            Assert.Empty(Cookies(encrypted));   // the API gets no affinity cookie
            pairs.Add((Upstream(encrypted), Upstream(decrypted)));
        }

        // Assert: every instance served requests, and ciphertexts crossed instances
        output.WriteLine(string.Join('\n', pairs.Select(p => $"encrypted on {p.EncryptedOn}, decrypted on {p.DecryptedOn}")));
        Assert.Equal(InstanceAuthorities.Order(), pairs.SelectMany(p => new[] { p.EncryptedOn, p.DecryptedOn }).Distinct().Order());
        Assert.Contains(pairs, p => p.EncryptedOn != p.DecryptedOn);
    }

    [Fact]
    public async Task SignInCookieIssuedByA_IsAcceptedByBAndC()
    {
        // Arrange: no cookie, no profile page
        using HttpResponseMessage anonymous = await GetAsync(B, "/Account/Manage", new CookieJar());
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Contains("/Account/Login", anonymous.Headers.Location!.OriginalString);

        // Act: the sign-in form, GET and POST, on A
        var jar = new CookieJar();
        IReadOnlyDictionary<string, string> form = await GetLoginFormAsync(A, jar);
        using HttpResponseMessage signedIn = await PostLoginFormAsync(A, form, jar);

        // Assert: A signed the user in, and B and C show that user's profile with A's cookie
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.DoesNotContain("/Account/", signedIn.Headers.Location!.OriginalString);
        Assert.Contains(jar.Names, name => name.StartsWith(".AspNetCore.Identity.Application", StringComparison.Ordinal));
        foreach (KmsCluster.Instance other in new[] { B, C })
        {
            using HttpResponseMessage profile = await GetAsync(other, "/Account/Manage", jar);
            Assert.True(profile.StatusCode == HttpStatusCode.OK, $"{other}: {(int)profile.StatusCode} {profile.Headers.Location}");
            Assert.Contains($"value=\"{AdminEmail}\"", await profile.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task AntiforgeryTokenIssuedByA_IsAcceptedByB()
    {
        // Arrange: A's form and antiforgery cookie; without the cookie, B refuses the token (the check is on)
        var jar = new CookieJar();
        IReadOnlyDictionary<string, string> form = await GetLoginFormAsync(A, jar);
        Assert.Contains(jar.Names, name => name.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        using HttpResponseMessage withoutCookie = await PostLoginFormAsync(B, form, new CookieJar());
        Assert.Equal(HttpStatusCode.BadRequest, withoutCookie.StatusCode);

        // Act: A's token and cookie posted to B
        using HttpResponseMessage signedIn = await PostLoginFormAsync(B, form, jar);

        // Assert: B signed the user in, and A accepts B's sign-in cookie in turn
        Assert.True(signedIn.StatusCode == HttpStatusCode.Redirect, $"{(int)signedIn.StatusCode}: {await signedIn.Content.ReadAsStringAsync()}");
        Assert.DoesNotContain("/Account/", signedIn.Headers.Location!.OriginalString);
        using HttpResponseMessage profile = await GetAsync(A, "/Account/Manage", jar);
        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        Assert.Contains($"value=\"{AdminEmail}\"", await profile.Content.ReadAsStringAsync());
    }

    /// <summary>GET /Account/Login: keeps its cookies in <paramref name="jar"/>, returns the form's hidden fields.</summary>
    private static async Task<IReadOnlyDictionary<string, string>> GetLoginFormAsync(KmsCluster.Instance instance, CookieJar jar)
    {
        using HttpResponseMessage page = await GetAsync(instance, "/Account/Login", jar);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        string html = await page.Content.ReadAsStringAsync();
        var fields = new Dictionary<string, string>();
        foreach (Match input in InputTag().Matches(html))
        {
            string tag = input.Value;
            if (Attribute(tag, "type") == "hidden" && Attribute(tag, "name") is { } name)
            {
                fields[name] = Attribute(tag, "value") ?? "";
            }
        }

        Assert.True(fields.ContainsKey("__RequestVerificationToken"), $"no antiforgery token on {instance}'s login page:\n{html}");
        return fields;
    }

    private static async Task<HttpResponseMessage> PostLoginFormAsync(KmsCluster.Instance instance, IReadOnlyDictionary<string, string> hidden, CookieJar jar)
    {
        var fields = new Dictionary<string, string>(hidden) { ["Input.Email"] = AdminEmail, ["Input.Password"] = AdminPassword };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/Account/Login") { Content = new FormUrlEncodedContent(fields) };
        jar.AddTo(request);
        using HttpClient client = CookielessClient(instance.Address);
        HttpResponseMessage response = await client.SendAsync(request);
        jar.Take(response);
        return response;
    }

    private static async Task<HttpResponseMessage> GetAsync(KmsCluster.Instance instance, string path, CookieJar jar)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        jar.AddTo(request);
        using HttpClient client = CookielessClient(instance.Address);
        HttpResponseMessage response = await client.SendAsync(request);
        jar.Take(response);
        return response;
    }

    /// <summary>Polls nginx's access log until <paramref name="done"/> holds (a line is written when its request ends).</summary>
    private static async Task<IReadOnlyList<AccessLogEntry>> WaitForAccessLogAsync(NginxProxy nginx, Func<IReadOnlyList<AccessLogEntry>, bool> done)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            IReadOnlyList<AccessLogEntry> entries = nginx.ReadAccessLog();
            if (done(entries) || clock.Elapsed > TimeSpan.FromSeconds(15))
            {
                return entries;
            }

            await Task.Delay(200);
        }
    }

    /// <summary>A client that neither keeps cookies nor follows redirects: each test sends exactly the cookies it means to.</summary>
    private static HttpClient CookielessClient(Uri address) =>
        new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };

    private static string Upstream(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Upstream", out IEnumerable<string>? values) ? values.Single()
            : throw new Xunit.Sdk.XunitException($"{response.RequestMessage?.RequestUri}: no X-Upstream header");

    private static IEnumerable<string> Cookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out IEnumerable<string>? values) ? values : [];

    private static string? Attribute(string tag, string name)
    {
        Match match = Regex.Match(tag, $@"\s{name}=""(?<value>[^""]*)""");
        return match.Success ? WebUtility.HtmlDecode(match.Groups["value"].Value) : null;
    }

    [GeneratedRegex("<input\\b[^>]*>")]
    private static partial Regex InputTag();

    /// <summary>A <see cref="KmsCluster"/> and, on first use, nginx with the shipped example in front of its three instances.</summary>
    /// <remarks>nginx starts lazily: the cookie tests talk to the instances directly and do not depend on it.</remarks>
    public sealed class Fixture : IAsyncLifetime
    {
        private Task<NginxProxy>? _nginx;

        public KmsCluster Cluster { get; } = new();

        public Task<NginxProxy> NginxAsync() =>
            _nginx ??= NginxProxy.StartAsync([.. Cluster.Instances.Select(instance => instance.Address)]);

        public Task InitializeAsync() => Cluster.InitializeAsync();

        public async Task DisposeAsync()
        {
            if (_nginx is { IsCompletedSuccessfully: true })
            {
                await (await _nginx).DisposeAsync();
            }

            await Cluster.DisposeAsync();
        }
    }

    /// <summary>The cookies one browser holds, across instances (which a browser sees as one site behind nginx).</summary>
    private sealed class CookieJar
    {
        private readonly Dictionary<string, string> _cookies = [];

        public IEnumerable<string> Names => _cookies.Keys;

        public void AddTo(HttpRequestMessage request)
        {
            if (_cookies.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
            }
        }

        /// <summary>Keeps what the response set; an empty value (a cookie being deleted) removes it.</summary>
        public void Take(HttpResponseMessage response)
        {
            foreach (string setCookie in Cookies(response))
            {
                string pair = setCookie.Split(';')[0];
                int equals = pair.IndexOf('=', StringComparison.Ordinal);
                string name = pair[..equals].Trim();
                string value = pair[(equals + 1)..].Trim();
                if (value.Length == 0)
                {
                    _cookies.Remove(name);
                }
                else
                {
                    _cookies[name] = value;
                }
            }
        }
    }
}
