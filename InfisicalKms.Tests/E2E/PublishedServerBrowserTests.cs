using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Startup;
using Xunit.Abstractions;

namespace InfisicalKms.Tests.E2E;

/// <summary>
/// Issue #15, "start from anywhere": the <c>dotnet publish -c Release</c> output, started as
/// <c>dotnet /path/InfisicalKms.Web.dll</c> in Production from an unrelated working folder, serves its static
/// assets with their real content (not the empty 200s of a content root taken from the working folder), keeps
/// the default relative <c>Data Source=data/kms.db</c> in the working folder, and in headless Chromium, with
/// the Content-Security-Policy on, sets up, signs in and passes axe-core (published.test.mjs). Needs node, npm
/// and Chromium; fails, never skips, without them.
/// </summary>
public sealed class PublishedServerBrowserTests(PublishedServer published, ITestOutputHelper output)
    : IClassFixture<PublishedServer>, IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly string _workingFolder = Path.Combine(Path.GetTempPath(), "kms-anywhere-" + Guid.NewGuid().ToString("N"));
    private ServerProcess? _server;
    private Uri? _url;

    public async Task InitializeAsync()
    {
        output.WriteLine($"dotnet publish took {published.Duration.TotalSeconds:F0} s");
        Directory.CreateDirectory(_workingFolder);
        _server = ServerProcess.StartBinary(published.WebDll, _workingFolder, new Dictionary<string, string>
        {
            ["ROOT_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        });
        _url = await _server.WaitUntilListeningAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task PublishedBinary_FromAnotherFolder_ServesEveryStaticAssetWithItsContent()
    {
        using var client = new HttpClient { BaseAddress = _url };
        string page = await client.GetStringAsync("/Account/Setup");
        // Each asset by the fingerprinted address the page links, and by its plain path; each with text it must hold.
        var assets = new (string Pattern, string PlainPath, string Holds)[]
        {
            (@"app\.[a-z0-9]+\.css", "app.css", ".account-page"),
            (@"_content/MudBlazor/MudBlazor\.min\.[a-z0-9]+\.css", "_content/MudBlazor/MudBlazor.min.css", ".mud-button"),
            (@"_framework/blazor\.web\.[a-z0-9]+\.js", "_framework/blazor.web.js", "Blazor"),
            (@"_content/MudBlazor/MudBlazor\.min\.[a-z0-9]+\.js", "_content/MudBlazor/MudBlazor.min.js", "mudKeyInterceptor"),
            (@"app\.[a-z0-9]+\.js", "app.js", "window.kms"),
            (@"theme\.[a-z0-9]+\.js", "theme.js", "kms-dark"),
        };

        foreach ((string pattern, string plainPath, string holds) in assets)
        {
            Match linked = Regex.Match(page, $"(?:href|src)=\"(?<path>{pattern})\"");
            Assert.True(linked.Success, $"the page links no {plainPath}");
            foreach (string path in new[] { linked.Groups["path"].Value, plainPath })
            {
                HttpResponseMessage response = await client.GetAsync("/" + path);
                string content = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"/{path} answered {(int)response.StatusCode}");
                Assert.True(content.Contains(holds, StringComparison.Ordinal), $"/{path} ({content.Length} characters) does not hold \"{holds}\"");
            }
        }

        // The relative Data Source stays relative to the working folder, not the application folder.
        Assert.True(File.Exists(Path.Combine(_workingFolder, "data", "kms.db")), "no data/kms.db in the working folder");
        Assert.False(Directory.Exists(Path.Combine(published.Folder, "data")), "a data folder appeared in the application folder");
    }

    [Fact]
    public async Task PublishedBinary_FromAnotherFolder_SetsUpAndSignsInInChromiumWithTheCspOn()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install it with `apt-get install chromium` (test.sh does).");
        string root = ExternalTools.RepositoryRoot();
        string folder = Path.Combine(root, "InfisicalKms.Tests", "E2E", "browser");
        string artifacts = Path.Combine(root, "TestResults", "e2e");
        Directory.CreateDirectory(artifacts);
        await ExternalTools.NpmCiIfMissingAsync(folder, "axe-core");

        var clock = Stopwatch.StartNew();
        (int code, string log) = await ExternalTools.RunCombinedAsync("node", "--test --test-reporter=tap published.test.mjs", folder,
            new Dictionary<string, string>
            {
                ["KMS_URL"] = _url!.ToString().TrimEnd('/'),
                ["ARTIFACTS"] = artifacts,
                ["CHROMIUM_PATH"] = Chromium,
                ["ADMIN_EMAIL"] = "admin@example.com",
                ["ADMIN_PASSWORD"] = "published binary 2026",
            });
        output.WriteLine($"published.test.mjs: exit {code} after {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(log);
        Assert.True(code == 0, $"node --test published.test.mjs exited with {code}:\n{log}\nserver output:\n{_server!.StandardOutput}{_server.StandardError}");
        Assert.Contains("# fail 0", log);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        try
        {
            Directory.Delete(_workingFolder, recursive: true);
        }
        catch (IOException)
        {
            // Removed with the temporary folder later.
        }
    }
}
