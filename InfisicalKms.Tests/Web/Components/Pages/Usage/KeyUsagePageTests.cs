using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using InfisicalKms.Web.Components.Pages.Usage;

namespace InfisicalKms.Tests.Web.Components.Pages.Usage;

/// <summary>The Usage section of a key's details page over a real Core: the counts come from real operations and their audit records.</summary>
public sealed class KeyUsagePageTests(CoreTestHost core) : KmsComponentTest(core), IClassFixture<CoreTestHost>
{
    [Fact]
    public async Task KeyPage_AfterOperations_ShowsTheirCountsActorsAndLastUse()
    {
        // Arrange: three encryptions and a decryption that fails
        Project project = await Core.CreateProjectAsync($"Usage {Guid.NewGuid():N}"[..20]);
        KmsKey key = await Core.CreateKeyAsync(project, "orders", KeyAlgorithm.Aes256Gcm);
        for (int i = 0; i < 3; i++)
        {
            await Core.Crypto.EncryptAsync(Core.AdminActor, key.Id, "hello"u8.ToArray(), null, CancellationToken.None);
        }

        await Assert.ThrowsAsync<DecryptionFailedException>(() =>
            Core.Crypto.DecryptAsync(Core.AdminActor, key.Id, new byte[48], null, CancellationToken.None));

        // Act
        IRenderedComponent<KeyDetailsPage> page = Render<KeyDetailsPage>(p => p.Add(x => x.ProjectId, project.Id.ToString()).Add(x => x.KeyId, key.Id));

        // Assert: the window's totals, the split by operation and outcome, who did it, and when
        page.WaitForAssertion(() => Assert.Equal("4", Text(page.Find("#key-usage-total"))));
        Assert.Equal("1", Text(page.Find("#key-usage-failures")));
        Assert.Equal(["Hour (UTC)", "encrypt", "decrypt (failed)", "Successes", "Failures", "Total"], page.FindAll("#key-usage-table thead th").Select(Text));
        Assert.Equal(["Total", "3", "1", "3", "1", "4"], page.FindAll("#key-usage-table tfoot tr > *").Select(Text));
        Assert.Single(page.FindAll("#key-usage-table tbody tr"));
        Assert.NotNull(page.Find("#key-usage-chart svg"));
        Assert.Equal([[CoreTestHost.AdminEmail, "user", "4", "1"]],
            page.FindAll("#key-top-actors tbody tr").Select(r => r.Children.Take(4).Select(Text).ToList()));
        Assert.Equal([["BadRequest", "1"]], page.FindAll("#key-failure-reasons tbody tr").Select(r => r.Children.Select(Text).ToList()));
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$", Text(page.Find("#key-last-used")));

        // The week by day: the same operations in one day's row.
        page.Find("#usage-window-7d").Click();
        page.WaitForAssertion(() => Assert.Equal("Day (UTC)", Text(page.Find("#key-usage-table thead th"))));
        Assert.Equal("4", Text(page.Find("#key-usage-total")));
        Assert.Equal("true", page.Find("#usage-window-7d").GetAttribute("aria-pressed"));
    }

    [Fact]
    public async Task KeyPage_UnusedKey_SaysNoOperationsYetAndNeverUsed()
    {
        Project project = await Core.CreateProjectAsync($"Unused {Guid.NewGuid():N}"[..20]);
        KmsKey key = await Core.CreateKeyAsync(project, "idle", KeyAlgorithm.Aes256Gcm);

        IRenderedComponent<KeyDetailsPage> page = Render<KeyDetailsPage>(p => p.Add(x => x.ProjectId, project.Id.ToString()).Add(x => x.KeyId, key.Id));

        page.WaitForAssertion(() => Assert.Equal("No operations yet", Text(page.Find("#key-usage-empty"))));
        Assert.Equal("Never", Text(page.Find("#key-last-used")));
        Assert.Equal("No operations yet", Text(page.Find("#key-top-actors-empty")));
        Assert.Empty(page.FindAll("#key-usage-table"));
    }

    [Fact]
    public async Task UsageSection_RoleWithoutAuditRead_SaysSoInsteadOfReading()
    {
        Project project = await Core.CreateProjectAsync($"Denied {Guid.NewGuid():N}"[..20]);
        KmsKey key = await Core.CreateKeyAsync(project, "secret", KeyAlgorithm.Aes256Gcm);
        SignIn(await Core.CreateMemberAsync(project, ProjectRole.CryptographicOperator));

        IRenderedComponent<KeyUsageSection> section = Render<KeyUsageSection>(p => p.Add(x => x.KeyId, key.Id).Add(x => x.Role, ProjectRole.CryptographicOperator));

        Assert.Contains("Your role (cryptographic-operator) cannot see this key's usage", Text(section.Find("#key-usage-denied")), StringComparison.Ordinal);
        Assert.Empty(section.FindAll("#usage-window-24h"));
        Assert.Empty(section.FindAll("#key-usage-loading"));
    }

    [Fact]
    public async Task UsageSection_CoreRefuses_ShowsAnAlert()
    {
        // The role the page knew is stale: the user was made a cryptographic operator since.
        Project project = await Core.CreateProjectAsync($"Stale {Guid.NewGuid():N}"[..20]);
        KmsKey key = await Core.CreateKeyAsync(project, "moved", KeyAlgorithm.Aes256Gcm);
        SignIn(await Core.CreateMemberAsync(project, ProjectRole.CryptographicOperator));

        IRenderedComponent<KeyUsageSection> section = Render<KeyUsageSection>(p => p.Add(x => x.KeyId, key.Id).Add(x => x.Role, ProjectRole.Viewer));

        section.WaitForAssertion(() => Assert.Contains("cannot see this key's usage", Text(section.Find("#key-usage-error")), StringComparison.Ordinal));
        Assert.Empty(section.FindAll("#key-usage-chart"));
    }

    private static string Text(IElement element) => Regex.Replace(element.TextContent, @"\s+", " ").Trim();
}
