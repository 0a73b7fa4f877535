using System.Diagnostics;
using System.Net;
using System.Text.Json;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace InfisicalKms.Tests.E2E;

/// <summary>
/// The end-to-end test of issue #3: the real server on a loopback socket, driven in headless Chromium
/// (Debian's /usr/bin/chromium) by playwright-core (E2E/browser, pinned by its lock file). The browser
/// does the first-run setup itself, signs in, creates a project, round-trips a sentence through an
/// AES-256-GCM key and signs and verifies with an RSA_4096 key; then a viewer and a user with no
/// membership, seeded here, sign in in fresh browser contexts. Last (issue #6), the administrator creates a
/// machine identity with a client secret in the browser, the official <c>@infisical/sdk</c> (Compat/sdk)
/// encrypts with it, and the browser finds that operation in the project's audit log. Every panel is saved
/// as a PNG under TestResults/e2e. Every step fails on a Content-Security-Policy violation, and axe-core
/// (issue #15) checks each page and dialog for serious or critical accessibility violations; every dialog is
/// closed with Escape at least once. Needs node, npm and Chromium; fails, never skips, without them.
/// </summary>
public sealed class KeyManagementBrowserTests(ITestOutputHelper output) : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private const string AdminEmail = "admin@example.com";
    private const string AdminPassword = "correct horse battery staple";
    private const string ViewerEmail = "viewer@example.com";
    private const string OutsiderEmail = "outsider@example.com";
    private const string UserPassword = "viewer password 2024";

    /// <summary>The panels the administrator's flow must have saved (key-management.test.mjs).</summary>
    private static readonly string[] PanelScreenshots =
    [
        "01-setup-form", "02-setup-done", "03-signed-in", "03b-account-light", "03c-account-dark", "04-projects", "05-add-key-dialog-aes", "06-encrypt",
        "07-decrypt", "07d-snackbars-over-dialog", "07b-key-rotated", "07c-decrypt-after-rotation", "08-add-key-dialog-rsa", "09-key-table", "10-sign", "11-verify-valid", "12-verify-invalid",
    ];

    /// <summary>The screenshots of the roles flow (roles.test.mjs).</summary>
    private static readonly string[] RoleScreenshots =
    [
        "13-viewer-key-table", "14-viewer-menu-aes", "15-viewer-menu-rsa", "16-non-member-refused",
    ];

    /// <summary>The screenshots of the machine identity and audit flow (identity-audit.test.mjs).</summary>
    private static readonly string[] IdentityAuditScreenshots =
    [
        "17-client-secret-dialog", "18-identity-details", "19-audit-record", "20-audit-verified",
    ];

    private readonly KmsWebApplicationFactory _server = new();

    [Fact]
    public async Task Browser_SetupSignInKeysCryptoRolesAndAudit_AllPanelsWork()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install it with `apt-get install chromium` (test.sh does).");
        string root = ExternalTools.RepositoryRoot();
        string folder = Path.Combine(root, "InfisicalKms.Tests", "E2E", "browser");
        string artifacts = Path.Combine(root, "TestResults", "e2e");
        Directory.CreateDirectory(artifacts);
        // Only this test's own files: other browser tests (nginx) write into the same folder at the same time.
        foreach (string name in PanelScreenshots.Concat(RoleScreenshots).Concat(IdentityAuditScreenshots).Select(n => n + ".png").Append("state.json"))
        {
            File.Delete(Path.Combine(artifacts, name));
        }

        await ExternalTools.NpmCiIfMissingAsync(folder, "axe-core");   // the newest of its packages: a folder with it has them all
        // identity-audit.test.mjs loads the official SDK from where the compatibility test installs it.
        await ExternalTools.NpmCiIfMissingAsync(Path.Combine(root, "InfisicalKms.Tests", "Compat", "sdk"), "@infisical/sdk");

        _server.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _server.StartServer();
        string url = _server.ClientOptions.BaseAddress.ToString().TrimEnd('/');
        var environment = new Dictionary<string, string>
        {
            ["KMS_URL"] = url,
            ["ARTIFACTS"] = artifacts,
            ["CHROMIUM_PATH"] = Chromium,
            ["ADMIN_EMAIL"] = AdminEmail,
            ["ADMIN_PASSWORD"] = AdminPassword,
        };

        // 1. The administrator, from an empty instance: setup, sign in, project, keys, every crypto panel.
        await RunNodeTestAsync("key-management.test.mjs", folder, environment);
        AssertScreenshots(artifacts, PanelScreenshots);

        // 2. Users without a UI to create them yet: seeded with the server's own services.
        using JsonDocument state = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(artifacts, "state.json")));
        await SeedUsersAsync(state.RootElement.GetProperty("projectId").GetString()!);

        // 3. The viewer and the non-member, each in a fresh browser context.
        environment["VIEWER_EMAIL"] = ViewerEmail;
        environment["OUTSIDER_EMAIL"] = OutsiderEmail;
        environment["USER_PASSWORD"] = UserPassword;
        await RunNodeTestAsync("roles.test.mjs", folder, environment);
        AssertScreenshots(artifacts, RoleScreenshots);

        // 4. The administrator again: a machine identity and client secret made in the UI, an encryption
        //    through the official SDK outside the browser, and its record in the project's audit log.
        await RunNodeTestAsync("identity-audit.test.mjs", folder, environment);
        AssertScreenshots(artifacts, IdentityAuditScreenshots);
    }

    public void Dispose() => _server.Dispose();

    /// <summary>A viewer of the project and an organization member with no membership in it.</summary>
    private async Task SeedUsersAsync(string projectId)
    {
        using IServiceScope scope = _server.Services.CreateScope();
        UserManager<KmsUser> users = scope.ServiceProvider.GetRequiredService<UserManager<KmsUser>>();
        KmsUser admin = await users.FindByEmailAsync(AdminEmail)
            ?? throw new InvalidOperationException($"The browser's first-run setup did not create {AdminEmail}.");
        foreach (string email in new[] { ViewerEmail, OutsiderEmail })
        {
            KmsUser user = KmsUser.Create(email, admin.OrganizationId, OrgRole.Member, DateTime.UtcNow);
            IdentityResult created = await users.CreateAsync(user, UserPassword);
            Assert.True(created.Succeeded, string.Join("; ", created.Errors.Select(e => e.Description)));
        }

        var adminActor = new Actor(ActorType.User, admin.Id, admin.Email!, admin.OrganizationId, admin.OrgRole);
        MembershipService memberships = scope.ServiceProvider.GetRequiredService<MembershipService>();
        MembershipInfo viewer = await memberships.AddUserAsync(adminActor, projectId, ViewerEmail, ProjectRole.Viewer, CancellationToken.None);
        Assert.Equal(ProjectRole.Viewer, viewer.Role);
    }

    private async Task RunNodeTestAsync(string file, string folder, IDictionary<string, string> environment)
    {
        var clock = Stopwatch.StartNew();
        (int code, string log) = await ExternalTools.RunCombinedAsync("node", $"--test --test-reporter=tap {file}", folder, environment);
        output.WriteLine($"{file}: exit {code} after {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(log);
        Assert.True(code == 0, $"node --test {file} exited with {code}:\n{log}");
        Assert.Contains("# fail 0", log);
    }

    private static void AssertScreenshots(string artifacts, IEnumerable<string> names)
    {
        foreach (string name in names)
        {
            var file = new FileInfo(Path.Combine(artifacts, name + ".png"));
            Assert.True(file.Exists && file.Length > 0, $"screenshot {file.FullName} is missing or empty");
        }
    }
}
