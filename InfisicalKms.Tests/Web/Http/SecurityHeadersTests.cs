using System.Net;
using System.Text.RegularExpressions;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Http;

/// <summary>
/// Issue #15's security headers, over a real Kestrel socket (the in-memory test server writes no Server
/// header of its own): every page and API response carries nosniff, DENY framing, a referrer policy and a
/// Content-Security-Policy without unsafe-eval, and no Server header; every cookie is HttpOnly and SameSite,
/// and Secure exactly when the client came over HTTPS, which behind a proxy only a trusted proxy can say.
/// </summary>
public sealed partial class SecurityHeadersTests : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    [Fact]
    public async Task Page_Headers_CarryTheFullPolicyAndNoServerHeader()
    {
        HttpClient client = Start(new KmsWebApplicationFactory());

        HttpResponseMessage response = await client.GetAsync("/Account/Setup");   // a new instance's first page
        string html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertCommonHeaders(response);
        string policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Dictionary<string, string> directives = Directives(policy);
        Assert.Equal("'self'", directives["default-src"]);
        Assert.Equal("'none'", directives["frame-ancestors"]);
        Assert.Equal("'none'", directives["object-src"]);
        Assert.Equal("'self'", directives["connect-src"]);
        Assert.DoesNotContain("unsafe-eval", policy);
        Assert.DoesNotContain("unsafe-inline", directives["script-src"]);
        // The one inline script, Blazor's import map, runs by this response's nonce and no other.
        Match nonce = ScriptSrcNonce().Match(directives["script-src"]);
        Assert.True(nonce.Success, $"script-src has no nonce: {directives["script-src"]}");
        Match importMap = ImportMapNonce().Match(html);
        Assert.True(importMap.Success, "the page has no import map with a nonce");
        Assert.Equal(nonce.Groups["nonce"].Value, WebUtility.HtmlDecode(importMap.Groups["nonce"].Value));
        Assert.Equal(1, InlineScript().Count(html));
    }

    [Fact]
    public async Task Page_TwoRequests_GetDifferentNonces()
    {
        HttpClient client = Start(new KmsWebApplicationFactory());

        string first = ScriptSrcNonce().Match(Policy(await client.GetAsync("/Account/Setup"))).Value;
        string second = ScriptSrcNonce().Match(Policy(await client.GetAsync("/Account/Setup"))).Value;

        Assert.NotEqual("", first);
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData("/api/status")]
    [InlineData("/api/v1/kms/keys/00000000-0000-0000-0000-000000000000")]
    public async Task Api_Headers_NosniffDenyAndNoServerHeader(string path)
    {
        HttpClient client = Start(new KmsWebApplicationFactory());

        HttpResponseMessage response = await client.GetAsync(path);

        AssertCommonHeaders(response);
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", Policy(response));
    }

    [Fact]
    public async Task StaticAsset_Headers_Nosniff()
    {
        HttpClient client = Start(new KmsWebApplicationFactory());
        string html = await client.GetStringAsync("/Account/Setup");
        string css = StyleSheet().Match(html).Groups["href"].Value;

        HttpResponseMessage response = await client.GetAsync("/" + css);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertCommonHeaders(response);
    }

    [Fact]
    public async Task Cookies_OverPlainHttp_AreHttpOnlyAndSameSiteButNotSecure()
    {
        HttpClient client = Start(new KmsWebApplicationFactory());

        HttpResponseMessage response = await client.GetAsync("/Account/Setup");

        string antiforgery = Assert.Single(SetCookies(response), c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        AssertFlags(antiforgery, secure: false);
    }

    [Fact]
    public async Task Cookies_HttpsFromTrustedProxy_AreSecureHttpOnlyAndSameSite()
    {
        var factory = new ProxyFactory("127.0.0.1");   // the test client is the proxy
        HttpClient client = Start(factory);
        await factory.AdminAsync();

        (string antiforgery, HttpResponseMessage signIn) = await SignInAsync(client, forwardedProto: "https");

        AssertFlags(antiforgery, secure: true);
        Assert.True((int)signIn.StatusCode is >= 300 and < 400, $"sign-in answered {(int)signIn.StatusCode}");
        string session = Assert.Single(SetCookies(signIn), c => c.StartsWith(".AspNetCore.Identity.Application=", StringComparison.Ordinal));
        AssertFlags(session, secure: true);
    }

    [Fact]
    public async Task Cookies_ForwardedProtoFromUntrustedSource_AreNotSecure()
    {
        var factory = new ProxyFactory("10.0.0.5");   // some other proxy: the test client is not trusted
        HttpClient client = Start(factory);
        await factory.AdminAsync();

        (string antiforgery, HttpResponseMessage signIn) = await SignInAsync(client, forwardedProto: "https");

        AssertFlags(antiforgery, secure: false);
        string session = Assert.Single(SetCookies(signIn), c => c.StartsWith(".AspNetCore.Identity.Application=", StringComparison.Ordinal));
        AssertFlags(session, secure: false);
    }

    public void Dispose()
    {
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }
    }

    /// <summary>The server on a loopback socket and a client that keeps redirects and cookies to itself.</summary>
    private HttpClient Start(KmsWebApplicationFactory factory)
    {
        _owned.Add(factory);
        factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = factory.ClientOptions.BaseAddress,
        };
        _owned.Add(client);
        return client;
    }

    /// <summary>Signs the bootstrap administrator in through the static login form; returns the antiforgery cookie and the sign-in answer.</summary>
    private static async Task<(string Antiforgery, HttpResponseMessage SignIn)> SignInAsync(HttpClient client, string forwardedProto)
    {
        using var page = new HttpRequestMessage(HttpMethod.Get, "/Account/Login");
        page.Headers.Add("X-Forwarded-Proto", forwardedProto);
        HttpResponseMessage form = await client.SendAsync(page);
        string antiforgery = Assert.Single(SetCookies(form), c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        List<KeyValuePair<string, string>> fields = HiddenInput().Matches(await form.Content.ReadAsStringAsync())
            .Select(m => new KeyValuePair<string, string>(WebUtility.HtmlDecode(m.Groups["name"].Value), WebUtility.HtmlDecode(m.Groups["value"].Value)))
            .ToList();
        fields.Add(new("Input.Email", "admin@example.com"));
        fields.Add(new("Input.Password", "correct horse battery"));

        var post = new HttpRequestMessage(HttpMethod.Post, "/Account/Login") { Content = new FormUrlEncodedContent(fields) };
        post.Headers.Add("X-Forwarded-Proto", forwardedProto);
        post.Headers.Add("Cookie", antiforgery.Split(';')[0]);
        return (antiforgery, await client.SendAsync(post));
    }

    private static void AssertCommonHeaders(HttpResponseMessage response)
    {
        Assert.False(response.Headers.Contains("Server"), $"Server: {string.Join(", ", response.Headers.TryGetValues("Server", out var s) ? s : [])}");
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
    }

    private static void AssertFlags(string cookie, bool secure)
    {
        string[] attributes = cookie.Split(';').Skip(1).Select(a => a.Trim().ToLowerInvariant()).ToArray();
        Assert.Contains("httponly", attributes);
        Assert.Contains(attributes, a => a is "samesite=lax" or "samesite=strict");
        Assert.True(attributes.Contains("secure") == secure, $"expected {(secure ? "a Secure" : "no Secure")} cookie: {cookie}");
    }

    private static string Policy(HttpResponseMessage response) => Assert.Single(response.Headers.GetValues("Content-Security-Policy"));

    private static IEnumerable<string> SetCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out IEnumerable<string>? cookies) ? cookies : [];

    private static Dictionary<string, string> Directives(string policy) =>
        policy.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(d => d.Split(' ', 2))
            .ToDictionary(d => d[0], d => d.Length > 1 ? d[1] : "");

    [GeneratedRegex("'nonce-(?<nonce>[A-Za-z0-9+/=]{24})'")]
    private static partial Regex ScriptSrcNonce();

    [GeneratedRegex("<script type=\"importmap\" nonce=\"(?<nonce>[^\"]+)\">")]
    private static partial Regex ImportMapNonce();

    [GeneratedRegex("<script(?![^>]*\\bsrc=)[^>]*>")]
    private static partial Regex InlineScript();

    [GeneratedRegex("<link rel=\"stylesheet\" href=\"(?<href>app\\.[^\"]+\\.css)\"")]
    private static partial Regex StyleSheet();

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]+)" value="(?<value>[^"]*)"\s*/?>""")]
    private static partial Regex HiddenInput();

    /// <summary>The server with one trusted proxy address (Kms:TrustedProxies).</summary>
    private sealed class ProxyFactory(string proxy) : KmsWebApplicationFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Kms:TrustedProxies:0"] = proxy };
    }
}
