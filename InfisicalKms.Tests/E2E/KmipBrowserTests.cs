using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Kmip;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace InfisicalKms.Tests.E2E;

/// <summary>
/// KMIP clients in the web UI end to end (issue 16): the real server with KMIP on a free loopback port, driven in
/// headless Chromium by <c>E2E/browser/kmip.test.mjs</c>. The administrator opens the project's KMIP page from the
/// navigation, adds a client with every permission, issues it a certificate and downloads the bundle; outside the
/// browser PyKMIP (<c>Kmip/pykmip/kmip_driver.py</c> under /usr/bin/python3) connects with exactly the bundle's
/// files and creates the AES key <c>from-bundle</c>, which the browser then finds on the project's Key Management
/// page. Content-Security-Policy violations fail it, axe checks the page (light and dark) and its dialogs, and
/// the dialogs close on Escape. Needs node, Chromium and python3-pykmip; fails, never skips, without them.
/// </summary>
public sealed class KmipBrowserTests(ITestOutputHelper output) : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Python = "/usr/bin/python3";
    private const string ClientName = "pykmip-bundle";
    private const string AdminEmail = "admin@example.com";   // KmsWebApplicationFactory.AdminAsync bootstraps this user
    private const string AdminPassword = "correct horse battery";

    private static readonly string[] Screenshots =
    [
        "21-kmip-page", "22-kmip-add-client", "23-kmip-client-table", "24-kmip-page-dark", "25-kmip-issue-dialog",
        "26-kmip-bundle-ready", "27-kmip-key-from-bundle",
    ];

    private readonly KmipEnabledFactory _server = new();

    [Fact]
    public async Task Browser_KmipClientBundle_DownloadedAndUsedByPyKmip_KeyShowsInKeyManagement()
    {
        // Arrange: the tools, then the server with KMIP listening on a port of its choosing
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install it with `apt-get install chromium` (test.sh does).");
        Assert.True(File.Exists(Python), $"{Python} is missing: PyKMIP runs under Debian's python3 (platform-notes P22).");
        string root = ExternalTools.RepositoryRoot();
        string folder = Path.Combine(root, "InfisicalKms.Tests", "E2E", "browser");
        string artifacts = Path.Combine(root, "TestResults", "e2e");
        string bundles = Path.Combine(artifacts, "kmip-bundle");
        Directory.CreateDirectory(artifacts);
        foreach (string name in Screenshots.Select(n => n + ".png"))
        {
            File.Delete(Path.Combine(artifacts, name));
        }

        if (Directory.Exists(bundles))
        {
            Directory.Delete(bundles, recursive: true);
        }

        await ExternalTools.NpmCiIfMissingAsync(folder, "axe-core");
        _server.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _server.StartServer();
        int kmipPort = _server.Services.GetRequiredService<KmipListener>().Port
            ?? throw new InvalidOperationException("The KMIP listener did not start although Kms:Kmip:Enabled is true.");
        AdminContext admin = await _server.AdminAsync();
        Project project = await CreateProjectAsync("KMIP Browser");

        // Act: the browser flow, PyKMIP included
        var clock = Stopwatch.StartNew();
        (int code, string log) = await ExternalTools.RunCombinedAsync("node", "--test --test-reporter=tap kmip.test.mjs", folder, new Dictionary<string, string>
        {
            ["KMS_URL"] = _server.ClientOptions.BaseAddress.ToString().TrimEnd('/'),
            ["ARTIFACTS"] = artifacts,
            ["CHROMIUM_PATH"] = Chromium,
            ["ADMIN_EMAIL"] = AdminEmail,
            ["ADMIN_PASSWORD"] = AdminPassword,
            ["PROJECT_ID"] = project.Id.ToString(),
            ["KMIP_PORT"] = kmipPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KMIP_CLIENT"] = ClientName,
            ["PYTHON"] = Python,
            ["PYKMIP_DRIVER"] = Path.Combine(root, "InfisicalKms.Tests", "Kmip", "pykmip", "kmip_driver.py"),
        }, TimeSpan.FromMinutes(6));
        output.WriteLine($"kmip.test.mjs: exit {code} after {clock.Elapsed.TotalSeconds:F1} s (organization {admin.OrganizationId})");
        output.WriteLine(log);

        // Assert: the flow passed, its screenshots exist, the downloaded zip is the bundle, and the key is the project's
        Assert.True(code == 0, $"node --test kmip.test.mjs exited with {code}:\n{log}");
        Assert.Contains("# fail 0", log);
        foreach (string name in Screenshots)
        {
            var file = new FileInfo(Path.Combine(artifacts, name + ".png"));
            Assert.True(file.Exists && file.Length > 0, $"screenshot {file.FullName} is missing or empty");
        }

        using (ZipArchive zip = ZipFile.OpenRead(Path.Combine(bundles, $"kmip-{ClientName}.zip")))
        {
            Assert.Equal(["ca.pem", "client.key", "client.pem", "pykmip.conf"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        }

        using IServiceScope scope = _server.Services.CreateScope();
        Actor actor = await AdminActorAsync(scope);
        KmipClient client = Assert.Single((await scope.ServiceProvider.GetRequiredService<KmipClientService>()
            .ListAsync(actor, new ListKmipClientsRequest(project.Id.ToString()), CancellationToken.None)).Clients);
        Assert.Equal(ClientName, client.Name);
        Assert.Equal(KmipPermissionNames.All.Aggregate(KmipPermissions.None, (all, p) => all | p), client.Permissions);
        Assert.Single(await scope.ServiceProvider.GetRequiredService<KmipClientService>().ListCertificatesAsync(actor, client.Id.ToString(), CancellationToken.None));
    }

    public void Dispose() => _server.Dispose();

    private async Task<Project> CreateProjectAsync(string name)
    {
        using IServiceScope scope = _server.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<ProjectService>()
            .CreateAsync(await AdminActorAsync(scope), new CreateProjectRequest(name, null, null), CancellationToken.None);
    }

    private static async Task<Actor> AdminActorAsync(IServiceScope scope)
    {
        KmsUser admin = await scope.ServiceProvider.GetRequiredService<UserManager<KmsUser>>().FindByEmailAsync(AdminEmail)
            ?? throw new InvalidOperationException($"The bootstrap did not create {AdminEmail}.");
        return Actor.ForUser(admin);
    }

    /// <summary>KMIP on, on a free loopback port (the listener reports which), the certificates naming 127.0.0.1.</summary>
    private sealed class KmipEnabledFactory : KmsWebApplicationFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Kms:Kmip:Enabled"] = "true",
            ["Kms:Kmip:Port"] = "0",
            ["Kms:Kmip:Host"] = "127.0.0.1",
            ["Kms:Kmip:ServerNames:0"] = "127.0.0.1",
        };
    }
}
