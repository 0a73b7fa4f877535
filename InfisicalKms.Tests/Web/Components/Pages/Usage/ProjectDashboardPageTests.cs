using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.KeyManagement;
using InfisicalKms.Web.Components.Pages.Usage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Web.Components.Pages.Usage;

/// <summary>The project dashboard over a real Core: usage over time, the busiest keys, failures, and the keys that need attention.</summary>
public sealed class ProjectDashboardPageTests(CoreTestHost core) : KmsComponentTest(core), IClassFixture<CoreTestHost>
{
    [Fact]
    public async Task Dashboard_AfterOperations_ShowsTotalsBusiestKeysFailuresAndKeysToLookAt()
    {
        // Arrange: a busy key with a failed decryption, a quiet one, a deleted one, and an old one nobody uses
        Project project = await NewProjectAsync("Dash");
        KmsKey busy = await Core.CreateKeyAsync(project, "busy", KeyAlgorithm.Aes256Gcm);
        KmsKey quiet = await Core.CreateKeyAsync(project, "quiet", KeyAlgorithm.Aes256Gcm);
        KmsKey gone = await Core.CreateKeyAsync(project, "gone", KeyAlgorithm.Aes256Gcm);
        KmsKey old = await Core.CreateKeyAsync(project, "old", KeyAlgorithm.Aes256Gcm);
        await EncryptAsync(busy, 3);
        await Assert.ThrowsAsync<DecryptionFailedException>(() =>
            Core.Crypto.DecryptAsync(Core.AdminActor, busy.Id, new byte[48], null, CancellationToken.None));
        await EncryptAsync(quiet, 1);
        await EncryptAsync(gone, 2);
        await Core.Keys.DeleteAsync(Core.AdminActor, gone.Id, CancellationToken.None);
        await AgeAsync(old, TimeSpan.FromDays(400));

        // Act
        IRenderedComponent<ProjectDashboardPage> page = RenderDashboard(project);

        // Assert: the week by day, all operations and the failed ones
        page.WaitForAssertion(() => Assert.Equal("7", Text(page.Find("#project-usage-total"))));
        Assert.Equal("true", page.Find("#usage-window-7d").GetAttribute("aria-pressed"));
        Assert.Equal("1", Text(page.Find("#project-usage-failures")));
        Assert.Equal(["Day (UTC)", "encrypt", "decrypt (failed)", "Successes", "Failures", "Total"], page.FindAll("#project-usage-table thead th").Select(Text));
        Assert.NotNull(page.Find("#project-usage-chart svg"));
        Assert.NotNull(page.Find("#failures-chart svg"));
        Assert.Equal(["Total", "1", "1"], page.FindAll("#failures-table tfoot tr > *").Select(Text));
        Assert.Equal([["BadRequest", "1"]], Cells(page, "#failure-reasons tbody tr"));

        // The busiest keys, busiest first: a live key links to its page, a deleted one keeps its name.
        Assert.Equal(
            [["busy", "4", "1"], ["gone (deleted)", "2", "0"], ["quiet", "1", "0"]],
            Cells(page, "#busiest-keys tbody tr").Select(r => r.Take(3).ToList()));
        Assert.Equal([$"projects/{project.Id}/kms/{busy.Id}", $"projects/{project.Id}/kms/{quiet.Id}"],
            page.FindAll("#busiest-keys a").Select(a => a.GetAttribute("href")));

        // The old key: unused for 30 days, and its only version is more than a year old.
        Assert.Equal(["old"], Cells(page, "#unused-keys tbody tr").Select(r => r[0]));
        Assert.Equal("Never", Text(page.Find("#unused-keys .unused-key-last-used")));
        Assert.Equal([["old", "Version 1 is 400 days old and no rotation is scheduled"]], Cells(page, "#rotation-due tbody tr"));

        // The last 24 hours by hour hold the same operations.
        page.Find("#usage-window-24h").Click();
        page.WaitForAssertion(() => Assert.Equal("Hour (UTC)", Text(page.Find("#project-usage-table thead th"))));
        Assert.Equal("7", Text(page.Find("#project-usage-total")));
    }

    [Fact]
    public async Task Dashboard_NewProject_ShowsEmptyStates()
    {
        Project project = await NewProjectAsync("Empty");
        await Core.CreateKeyAsync(project, "fresh", KeyAlgorithm.Aes256Gcm);

        IRenderedComponent<ProjectDashboardPage> page = RenderDashboard(project);

        page.WaitForAssertion(() => Assert.Equal("No operations yet", Text(page.Find("#project-usage-empty"))));
        Assert.Equal("No operations yet", Text(page.Find("#failures-empty")));
        Assert.Equal("No operations yet", Text(page.Find("#busiest-keys-empty")));
        Assert.Equal("No failed operations in this window.", Text(page.Find("#failure-reasons")));
        Assert.Equal("Every key older than 30 days was used in the last 30 days.", Text(page.Find("#unused-keys")));
        Assert.Equal("No key is due for rotation.", Text(page.Find("#rotation-due")));
        Assert.Empty(page.FindAll("#project-usage-table"));
    }

    [Fact]
    public async Task Dashboard_RoleWithoutAuditRead_ShowsAnAlertInstead()
    {
        Project project = await NewProjectAsync("Denied");
        SignIn(await Core.CreateMemberAsync(project, ProjectRole.CryptographicOperator));

        IRenderedComponent<ProjectDashboardPage> page = RenderDashboard(project);

        page.WaitForAssertion(() => Assert.Equal(ProjectDashboardPage.CannotRead, Text(page.Find("#dashboard-problem"))));
        Assert.Empty(page.FindAll("#project-usage-chart, #project-usage-empty, #usage-window-7d"));
    }

    [Fact]
    public async Task KeyManagementPage_LinksToTheDashboard()
    {
        Project project = await NewProjectAsync("Link");

        IRenderedComponent<KeyManagementPage> page = Render<KeyManagementPage>(p => p.Add(x => x.ProjectId, project.Id.ToString()));

        page.WaitForAssertion(() => Assert.Equal($"projects/{project.Id}/dashboard", page.Find("#open-dashboard").GetAttribute("href")));
    }

    private IRenderedComponent<ProjectDashboardPage> RenderDashboard(Project project) =>
        Render<ProjectDashboardPage>(p => p.Add(x => x.ProjectId, project.Id.ToString()));

    private Task<Project> NewProjectAsync(string name) => Core.CreateProjectAsync($"{name} {Guid.NewGuid():N}"[..20]);

    private async Task EncryptAsync(KmsKey key, int times)
    {
        for (int i = 0; i < times; i++)
        {
            await Core.Crypto.EncryptAsync(Core.AdminActor, key.Id, "hello"u8.ToArray(), null, CancellationToken.None);
        }
    }

    /// <summary>Moves a key's creation into the past, as if it had been created then.</summary>
    private async Task AgeAsync(KmsKey key, TimeSpan age)
    {
        await using KmsDbContext db = await Core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        DateTime created = DateTime.UtcNow - age;
        await db.Keys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.CreatedAt, created));
    }

    private static List<List<string>> Cells(IRenderedComponent<ProjectDashboardPage> page, string rows) =>
        [.. page.FindAll(rows).Select(r => r.Children.Select(Text).ToList())];

    private static string Text(IElement element) => Regex.Replace(element.TextContent, @"\s+", " ").Trim();
}
