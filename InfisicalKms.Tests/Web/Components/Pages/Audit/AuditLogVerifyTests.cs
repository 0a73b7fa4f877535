using Bunit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.Audit;

/// <summary>Verify integrity: the chain as stored, and after someone edits a record in the database behind Core's back.</summary>
public sealed class AuditLogVerifyTests(CoreTestHost core) : AuditLogTest(core), IClassFixture<CoreTestHost>
{
    [Fact]
    public async Task Verify_UntouchedChain_SaysEveryRecordWasCheckedAndTheChainIsIntact()
    {
        Project project = await NewProjectAsync("Intact");
        KmsKey key = await Core.CreateKeyAsync(project, "intact", KeyAlgorithm.Aes256Gcm);
        await EncryptAsync(key);
        await EncryptAsync(key);
        IRenderedComponent<ProjectAuditLogPage> page = RenderProject(project);
        page.WaitForAssertion(() => Assert.Equal(5, Rows(page).Count));   // with the page's own key listing
        Assert.Empty(page.FindAll("#verify-result"));

        page.Find("#verify-chain").Click();

        page.WaitForAssertion(() => Assert.Equal("5 records checked, chain intact", page.Find("#verify-result").TextContent.Trim()));
        Assert.Contains("mud-alert-text-success", page.Find("#verify-result").ClassList);
        Assert.Empty(page.FindAll("tr.audit-row-broken"));
    }

    [Fact]
    public async Task Verify_RecordEditedInTheDatabase_NamesItHighlightsItAndOpensIt()
    {
        // Arrange: a chain of 5 records, the third one edited directly in SQLite
        Project project = await NewProjectAsync("Tampered");
        KmsKey key = await Core.CreateKeyAsync(project, "tampered", KeyAlgorithm.Aes256Gcm);
        for (int i = 0; i < 3; i++)
        {
            await EncryptAsync(key);
        }

        Guid edited = (await RecordsAsync(project))[^3].Id;   // oldest first: create-project, create-cmek, this encryption
        await using (KmsDbContext db = await Core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync())
        {
            Assert.Equal(1, await db.AuditEvents.Where(e => e.Id == edited).ExecuteUpdateAsync(s => s.SetProperty(e => e.ActorName, "mallory")));
        }

        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<ProjectAuditLogPage> page = RenderProject(project);
        page.WaitForAssertion(() => Assert.Equal(6, Rows(page).Count));

        // Act
        page.Find("#verify-chain").Click();

        // Assert: the message names the record, and its row (the fourth, newest first) is marked
        page.WaitForAssertion(() => Assert.Equal($"Chain broken after 2 records: first invalid record {edited}", page.Find("#verify-summary").TextContent.Trim()));
        Assert.Equal("Its contents do not match its hash: the record was modified.", page.Find("#verify-problem").TextContent.Trim());
        Assert.Contains("mud-alert-text-error", page.Find("#verify-result").ClassList);
        page.WaitForAssertion(() => Assert.Equal([3], Rows(page).Select((r, i) => (r, i)).Where(x => x.r.ClassList.Contains("audit-row-broken")).Select(x => x.i)));
        Assert.Equal("user mallory", Column(page, "audit-actor")[3]);

        page.Find("#show-broken").Click();
        page.WaitForAssertion(() => Assert.Equal(edited.ToString(), page.Find("[data-field=id]").TextContent.Trim()));
        Assert.Equal("mallory", page.Find("[data-field=actorName]").TextContent.Trim());
        Assert.Equal("Integrity check failed at this record.", page.Find("#record-broken").TextContent.Trim());

        // Filtered so that the record is not in the table: Show record still finds it
        page.Find("#record-close").Click();
        page.OpenSelect("filter-event-type");
        popovers.ChooseOption("create-project");
        page.WaitForAssertion(() => Assert.Equal(["create-project"], Events(page)));
        page.Find("#show-broken").Click();
        page.WaitForAssertion(() => Assert.Equal(edited.ToString(), page.Find("[data-field=id]").TextContent.Trim()));
    }
}
