using System.Globalization;
using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Audit;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.Audit;

/// <summary>The filters of the project audit page: each narrows the table; an invalid one is shown and not queried.</summary>
public sealed class AuditLogFilterTests(CoreTestHost core) : AuditLogTest(core), IClassFixture<CoreTestHost>
{
    [Fact]
    public async Task Filters_EventTypeKeyAndActor_NarrowTheTable()
    {
        // Arrange: two keys, one encryption by another member, and a deleted key
        Project project = await NewProjectAsync("Filters");
        KmsKey alpha = await Core.CreateKeyAsync(project, "alpha", KeyAlgorithm.Aes256Gcm);
        KmsKey beta = await Core.CreateKeyAsync(project, "beta", KeyAlgorithm.Aes256Gcm);
        await EncryptAsync(alpha);
        await EncryptAsync(beta);
        KmsUser member = await Core.CreateMemberAsync(project, ProjectRole.Member);
        await EncryptAsync(beta, CoreTestHost.ActorFor(member));
        KmsKey gone = await Core.CreateKeyAsync(project, "gone", KeyAlgorithm.Aes256Gcm);
        await Core.Keys.DeleteAsync(Core.AdminActor, gone.Id, CancellationToken.None);
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<ProjectAuditLogPage> page = RenderProject(project);
        page.WaitForAssertion(() => Assert.Equal(10, Rows(page).Count));

        // Event type: every project event type is offered
        page.OpenSelect("filter-event-type");
        Assert.Equal(["Any event type", .. AuditEventTypes.ProjectEvents], popovers.OpenOptions());
        popovers.ChooseOption("cmek-encrypt");
        page.WaitForAssertion(() => Assert.Equal([$"{beta.Id}", $"{beta.Id}", $"{alpha.Id}"], KeyIds(page)));
        Assert.All(Events(page), e => Assert.Equal("cmek-encrypt", e));

        // Key: the existing keys by name, then the deleted ones by the name their deletion record kept
        page.OpenSelect("filter-key");
        Assert.Equal(["Any key", "alpha", "beta", "gone (deleted)", "Other key ID…"], popovers.OpenOptions());
        popovers.ChooseOption("beta");
        page.WaitForAssertion(() => Assert.Equal(2, Rows(page).Count));
        page.OpenSelect("filter-event-type");
        popovers.ChooseOption("Any event type");
        page.WaitForAssertion(() => Assert.Equal(["cmek-encrypt", "cmek-encrypt", "create-cmek"], Events(page)));

        // Actor: the member's one encryption of beta
        page.OpenSelect("filter-actor");
        Assert.Contains($"{member.Email} (user)", popovers.OpenOptions());
        Assert.Contains($"{CoreTestHost.AdminEmail} (you)", popovers.OpenOptions());
        popovers.ChooseOption($"{member.Email} (user)");
        page.WaitForAssertion(() => Assert.Equal([$"user {member.Email}"], Column(page, "audit-actor")));
        page.OpenSelect("filter-actor");
        popovers.ChooseOption("Any actor");

        // The deleted key from the list, and by a pasted ID
        page.OpenSelect("filter-key");
        popovers.ChooseOption("gone (deleted)");
        page.WaitForAssertion(() => Assert.Equal(["delete-cmek", "create-cmek"], Events(page)));
        Assert.Equal(["gone (deleted)", "gone (deleted)"], KeyNames(page));
        page.OpenSelect("filter-key");
        popovers.ChooseOption("Other key ID…");
        page.WaitForElement("#filter-key-id").Change($" {gone.Id} ");
        page.WaitForAssertion(() => Assert.Equal(["delete-cmek", "create-cmek"], Events(page)));

        // Not an ID: said under the field, and the table keeps its results
        page.Find("#filter-key-id").Change("not-an-id");
        page.WaitForAssertion(() => Assert.Equal("Not an ID (expected a UUID)", page.FieldError("filter-key-id")));
        AssertStays(page, ["delete-cmek", "create-cmek"]);
        Assert.True(page.Find("#export-csv").HasAttribute("disabled"));
    }

    [Fact]
    public async Task TimeRange_StartAndEnd_NarrowTheTableAndAnEndNotAfterTheStartIsRefused()
    {
        // Arrange: two batches of records at least a second apart
        Project project = await NewProjectAsync("Range");
        KmsKey early = await Core.CreateKeyAsync(project, "early", KeyAlgorithm.Aes256Gcm);
        await EncryptAsync(early);
        await EncryptAsync(early);
        await Task.Delay(1100);
        KmsKey late = await Core.CreateKeyAsync(project, "late", KeyAlgorithm.Aes256Gcm);
        await EncryptAsync(late);
        IRenderedComponent<ProjectAuditLogPage> page = RenderProject(project);
        page.WaitForAssertion(() => Assert.Equal(7, Rows(page).Count));
        DateTime lateStart = (await RecordsAsync(project)).Single(r => r.KeyId == late.Id && r.EventType == AuditEventTypes.CreateKey).CreatedAt;
        DateTime from = lateStart.AddTicks(-(lateStart.Ticks % TimeSpan.TicksPerSecond));   // as a datetime-local field with seconds sends it

        // From (inclusive): the later batch and the page's own key listing
        page.Find("#filter-start").Change(Local(from));
        page.WaitForAssertion(() => Assert.Equal([ListKeys, "cmek-encrypt", "create-cmek"], Events(page)));
        Assert.Equal([$"{late.Id}", $"{late.Id}"], KeyIds(page).Where(k => k.Length > 0));

        // An end before or at the start is an error under the field, and nothing is queried
        page.Find("#filter-end").Change(Local(from.AddMinutes(-1)));
        page.WaitForAssertion(() => Assert.Equal("End must be after start", page.FieldError("filter-end")));
        AssertStays(page, [ListKeys, "cmek-encrypt", "create-cmek"]);
        Assert.True(page.Find("#export-csv").HasAttribute("disabled"));
        page.Find("#filter-end").Change(Local(from));
        page.WaitForAssertion(() => Assert.Equal("End must be after start", page.FieldError("filter-end")));

        // Until (exclusive) alone: the earlier batch
        page.Find("#filter-start").Change("");
        page.WaitForAssertion(() => Assert.Equal(["cmek-encrypt", "cmek-encrypt", "create-cmek", "create-project"], Events(page)));
        Assert.Null(page.FieldError("filter-end"));
        Assert.False(page.Find("#export-csv").HasAttribute("disabled"));

        page.Find("#filter-end").Change("yesterday");
        page.WaitForAssertion(() => Assert.Equal("Not a date and time", page.FieldError("filter-end")));
        AssertStays(page, ["cmek-encrypt", "cmek-encrypt", "create-cmek", "create-project"]);
    }

    /// <summary>The table shows these events and still does a moment later (a query, had one been made, would have answered by then).</summary>
    private static void AssertStays(IRenderedComponent<ProjectAuditLogPage> page, List<string> events)
    {
        Assert.Equal(events, Events(page));
        Assert.Throws<Bunit.Extensions.WaitForHelpers.WaitForFailedException>(() => page.WaitForAssertion(() => Assert.NotEqual(events, Events(page)), TimeSpan.FromMilliseconds(500)));
    }

    private static string Local(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
}
