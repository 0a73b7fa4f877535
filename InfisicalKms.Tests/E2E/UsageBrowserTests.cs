using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api;
using Xunit.Abstractions;

namespace InfisicalKms.Tests.E2E;

/// <summary>
/// Key usage in the browser (issue 17): a real workload goes through the REST API first, two machine identities
/// encrypting and decrypting with one AES key (one decrypt of a tampered ciphertext fails with BadRequest) and one
/// of them using a second key; a third key is never used. Then <c>E2E/browser/usage.test.mjs</c> signs in as the
/// administrator in headless Chromium and checks the numbers a user reads: the key page's Usage section (its
/// accessible table's totals and per-operation columns in the 24h, 7d and 30d windows, the top actors, the last
/// use, "No operations yet" on the unused key) and the project dashboard (the project's total, the busiest keys,
/// the failure reasons), axe in light and dark mode, and that the chart's bars are painted in theme colours in
/// both. It takes the README's screenshots <c>docs/images/dashboard.png</c> and <c>key-usage.png</c>, and writes
/// them there with <c>KMS_UPDATE_DOCS_IMAGES=1</c>. Needs node and Chromium; fails, never skips, without them.
/// </summary>
public sealed class UsageBrowserTests(ITestOutputHelper output) : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private const string AdminEmail = "admin@example.com";   // KmsWebApplicationFactory.AdminAsync bootstraps this user
    private const string AdminPassword = "correct horse battery";

    private static readonly string[] Screenshots =
    [
        "usage-01-key-24h", "usage-02-key-7d", "usage-03-key-30d", "usage-04-key-dark", "usage-05-idle-key",
        "usage-06-dashboard", "usage-07-dashboard-dark",
    ];

    private readonly KmsWebApplicationFactory _server = new();

    [Fact]
    public async Task Browser_KeyUsageAndDashboard_AfterARealWorkload_ShowItsTotals()
    {
        // Arrange: the tools, the server, and the workload through the REST API
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install it with `apt-get install chromium` (test.sh does).");
        string root = ExternalTools.RepositoryRoot();
        string folder = Path.Combine(root, "InfisicalKms.Tests", "E2E", "browser");
        string artifacts = Path.Combine(root, "TestResults", "e2e");
        // The README's screenshots are replaced only when asked (KMS_UPDATE_DOCS_IMAGES=1), so a test run leaves the
        // working tree as it was; otherwise they go with the other artifacts.
        string images = Environment.GetEnvironmentVariable("KMS_UPDATE_DOCS_IMAGES") == "1"
            ? Path.Combine(root, "docs", "images")
            : Path.Combine(artifacts, "docs-images");
        Directory.CreateDirectory(artifacts);
        Directory.CreateDirectory(images);
        foreach (string file in Screenshots.Select(n => Path.Combine(artifacts, n + ".png"))
            .Concat([Path.Combine(images, "dashboard.png"), Path.Combine(images, "key-usage.png")]))
        {
            File.Delete(file);
        }

        await ExternalTools.NpmCiIfMissingAsync(folder, "axe-core");
        _server.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _server.StartServer();
        AdminContext admin = await _server.AdminAsync();
        JsonObject workload = await RunWorkloadAsync(admin);

        // Act: the browser flow
        var clock = Stopwatch.StartNew();
        (int code, string log) = await ExternalTools.RunCombinedAsync("node", "--test --test-reporter=tap usage.test.mjs", folder, new Dictionary<string, string>
        {
            ["KMS_URL"] = _server.ClientOptions.BaseAddress.ToString().TrimEnd('/'),
            ["ARTIFACTS"] = artifacts,
            ["DOCS_IMAGES"] = images,
            ["CHROMIUM_PATH"] = Chromium,
            ["ADMIN_EMAIL"] = AdminEmail,
            ["ADMIN_PASSWORD"] = AdminPassword,
            ["USAGE_WORKLOAD"] = workload.ToJsonString(),
        }, TimeSpan.FromMinutes(6));
        output.WriteLine($"usage.test.mjs: exit {code} after {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(log);

        // Assert: the flow passed and its screenshots exist
        Assert.True(code == 0, $"node --test usage.test.mjs exited with {code}:\n{log}");
        Assert.Contains("# fail 0", log);
        foreach (string file in Screenshots.Select(n => Path.Combine(artifacts, n + ".png"))
            .Concat([Path.Combine(images, "dashboard.png"), Path.Combine(images, "key-usage.png")]))
        {
            var info = new FileInfo(file);
            Assert.True(info.Exists && info.Length > 0, $"screenshot {info.FullName} is missing or empty");
        }
    }

    public void Dispose() => _server.Dispose();

    /// <summary>
    /// In a new project: "payments" is used by billing-service (4 encrypts, 2 decrypts) and reports-job (2 encrypts,
    /// 1 decrypt, 1 decrypt of a tampered ciphertext, refused with 400); "archive" by billing-service (2 encrypts);
    /// "idle" by no one. Returns what the browser must find, checked first against the usage API.
    /// </summary>
    private async Task<JsonObject> RunWorkloadAsync(AdminContext admin)
    {
        string projectId = await AuthTestHelpers.CreateProjectIdAsync(admin.Client, "Usage Dashboard");
        string payments = await AuthTestHelpers.CreateAesKeyAsync(admin.Client, projectId, "payments");
        string archive = await AuthTestHelpers.CreateAesKeyAsync(admin.Client, projectId, "archive");
        string idle = await AuthTestHelpers.CreateAesKeyAsync(admin.Client, projectId, "idle");
        HttpClient billing = await CallerAsync(admin, projectId, "billing-service");
        HttpClient reports = await CallerAsync(admin, projectId, "reports-job");

        await EncryptDecryptAsync(billing, payments, encrypts: 4, decrypts: 2);
        string ciphertext = await EncryptDecryptAsync(reports, payments, encrypts: 2, decrypts: 1);
        byte[] tampered = Convert.FromBase64String(ciphertext);
        tampered[^1] ^= 0x01;   // one bit of the tag
        await ApiAssert.ErrorAsync(await reports.PostAsJsonAsync(KeyApi.Key(payments) + "/decrypt",
            new { ciphertext = Convert.ToBase64String(tampered) }), 400, "BadRequest");
        await EncryptDecryptAsync(billing, archive, encrypts: 2, decrypts: 0);

        // The API agrees before the browser looks (the UI reads the same counts through Core).
        JsonObject usage = (await ApiAssert.OkAsync(await admin.Client.GetAsync($"{KeyApi.Key(payments)}/usage")))["usage"]!.AsObject();
        Assert.Equal("""{"success":9,"failure":1}""", usage["total"]!.ToJsonString());
        JsonObject project = (await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/projects/{projectId}/usage")))["usage"]!.AsObject();
        Assert.Equal("""{"success":11,"failure":1}""", project["total"]!.ToJsonString());

        return new JsonObject
        {
            ["projectId"] = projectId,
            ["keys"] = new JsonObject
            {
                ["busy"] = Key(payments, "payments", total: 10, failures: 1, ("encrypt", 6), ("decrypt", 3), ("decrypt (failed)", 1)),
                ["second"] = Key(archive, "archive", total: 2, failures: 0, ("encrypt", 2)),
                ["idle"] = Key(idle, "idle", total: 0, failures: 0),
            },
            ["busyActors"] = new JsonArray(Actor("billing-service", 6, 0), Actor("reports-job", 4, 1)),
            ["projectActors"] = new JsonArray(Actor("billing-service", 8, 0), Actor("reports-job", 4, 1)),
            ["projectTotal"] = 12,
            ["projectFailures"] = 1,
            ["failureReasons"] = new JsonObject { ["BadRequest"] = 1 },
        };
    }

    /// <summary>A new identity with Universal Auth, logged in, and a cryptographic operator of the project.</summary>
    private async Task<HttpClient> CallerAsync(AdminContext admin, string projectId, string name)
    {
        string identityId = await AuthTestHelpers.CreateIdentityAsync(admin, name);
        string clientId = (string)(await AuthTestHelpers.AttachUniversalAuthAsync(admin.Client, identityId))["clientId"]!;
        string secret = (string)(await AuthTestHelpers.CreateClientSecretAsync(admin.Client, identityId))["clientSecret"]!;
        JsonObject login = await ApiAssert.OkAsync(await AuthTestHelpers.LoginAsync(_server.CreateClient(), clientId, secret));
        await AuthTestHelpers.AddIdentityMembershipAsync(admin.Client, projectId, identityId, "cryptographic-operator");
        return _server.Authorized((string)login["accessToken"]!);
    }

    /// <summary>Encrypts <paramref name="encrypts"/> times and decrypts the first ciphertext <paramref name="decrypts"/> times; returns it.</summary>
    private static async Task<string> EncryptDecryptAsync(HttpClient client, string keyId, int encrypts, int decrypts)
    {
        var ciphertexts = new List<string>();
        for (int i = 0; i < encrypts; i++)
        {
            ciphertexts.Add(await client.EncryptAsync(keyId, Convert.ToBase64String(BitConverter.GetBytes(i))));
        }

        for (int i = 0; i < decrypts; i++)
        {
            JsonObject decrypted = await ApiAssert.OkAsync(await client.PostAsJsonAsync(KeyApi.Key(keyId) + "/decrypt", new { ciphertext = ciphertexts[0] }));
            Assert.Equal(Convert.ToBase64String(BitConverter.GetBytes(0)), (string?)decrypted["plaintext"]);
        }

        return ciphertexts[0];
    }

    private static JsonObject Key(string id, string name, int total, int failures, params (string Column, int Count)[] columns)
    {
        var byColumn = new JsonObject();
        foreach ((string column, int count) in columns)
        {
            byColumn[column] = count;
        }

        return new JsonObject { ["id"] = id, ["name"] = name, ["total"] = total, ["failures"] = failures, ["columns"] = byColumn };
    }

    private static JsonObject Actor(string name, int count, int failures) =>
        new() { ["name"] = name, ["count"] = count, ["failures"] = failures };
}
