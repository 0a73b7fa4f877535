using System.Globalization;
using Bunit;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Audit;

namespace InfisicalKms.Tests.Web.Components.Pages.Audit;

/// <summary>The project audit table: columns, order, paging and the record drawer.</summary>
public sealed class AuditLogTableTests(CoreTestHost core) : AuditLogTest(core), IClassFixture<CoreTestHost>
{
    [Fact]
    public async Task Table_CoreOperations_ShowNewestFirstWithTheirColumns()
    {
        // Arrange: a key used from two clients (one call fails), and a second key created and deleted
        Project project = await NewProjectAsync("Columns");
        KmsKey billing = await Core.CreateKeyAsync(project, "billing-data", KeyAlgorithm.Aes256Gcm);
        await EncryptAsync(billing, AdminFrom("10.0.0.7", "node"));
        await Assert.ThrowsAsync<DecryptionFailedException>(() =>
            Core.Crypto.DecryptAsync(AdminFrom("10.0.0.8", "curl/8.5"), billing.Id, new byte[48], null, CancellationToken.None));
        KmsKey temp = await Core.CreateKeyAsync(project, "temp", KeyAlgorithm.Aes128Gcm);
        await Core.Keys.DeleteAsync(Core.AdminActor, temp.Id, CancellationToken.None);

        // Act
        IRenderedComponent<ProjectAuditLogPage> page = RenderProject(project);

        // Assert
        page.WaitForAssertion(() => Assert.Equal(
            [ListKeys, "delete-cmek", "create-cmek", "cmek-decrypt", "cmek-encrypt", "create-cmek", "create-project"], Events(page)));
        List<AuditEvent> records = await RecordsAsync(project);
        Assert.Equal(records.Select(r => r.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)), Column(page, "audit-time"));
        Assert.All(Column(page, "audit-actor"), a => Assert.Equal($"user {CoreTestHost.AdminEmail}", a));
        Assert.Equal(["success", "success", "success", "failure", "success", "success", "success"], Column(page, "audit-outcome"));
        Assert.Equal(["", "", "", "10.0.0.8", "10.0.0.7", "", ""], Column(page, "audit-ip"));
        Assert.Equal(["", $"{temp.Id}", $"{temp.Id}", $"{billing.Id}", $"{billing.Id}", $"{billing.Id}", ""], KeyIds(page));

        // Keys by name: a deleted key by the name its deletion record kept. Actors by name, with their type.
        Assert.Equal(["", "temp (deleted)", "temp (deleted)", "billing-data", "billing-data", "billing-data", ""], KeyNames(page));
        Assert.All(page.FindAll(".audit-actor-name"), a => Assert.Equal(CoreTestHost.AdminEmail, Text(a)));

        // The existing key links to its details page; the deleted one is only its ID.
        Assert.Equal(Enumerable.Repeat($"projects/{project.Id}/kms/{billing.Id}", 3), page.FindAll("a.audit-key-link").Select(a => a.GetAttribute("href")));
        Assert.Empty(Rows(page)[1].QuerySelectorAll("a"));
    }

    [Fact]
    public async Task Pager_MoreThanTwentyRecords_ShowsTwentyAndTheRestOnTheNextPage()
    {
        Project project = await NewProjectAsync("Paging");
        KmsKey key = await Core.CreateKeyAsync(project, "paged", KeyAlgorithm.Aes256Gcm);
        for (int i = 0; i < 22; i++)
        {
            await EncryptAsync(key);
        }

        IRenderedComponent<ProjectAuditLogPage> page = RenderProject(project);

        // 25 records: the page's own key listing, 22 encryptions, the key's and the project's creation
        page.WaitForAssertion(() => Assert.Equal([ListKeys, .. Enumerable.Repeat("cmek-encrypt", 19)], Events(page)));
        Assert.Contains("1-20 of 25", page.Find(".mud-table-pagination").TextContent, StringComparison.Ordinal);
        page.Find("button[aria-label='Next page']").Click();
        page.WaitForAssertion(() => Assert.Equal(["cmek-encrypt", "cmek-encrypt", "cmek-encrypt", "create-cmek", "create-project"], Events(page)));
        Assert.Contains("21-25 of 25", page.Find(".mud-table-pagination").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RowClick_OpensTheDrawerWithEveryFieldTheMetadataAndTheHashes()
    {
        // Arrange
        Project project = await NewProjectAsync("Drawer");
        KmsKey key = await Core.Keys.CreateAsync(AdminFrom("10.0.0.7", "billing-service/1.2"),
            new CreateKeyRequest(project.Id.ToString(), "billing-data", null, KeyUsage.EncryptDecrypt, KeyAlgorithm.Aes256Gcm, false), CancellationToken.None);
        IRenderedComponent<ProjectAuditLogPage> page = RenderProject(project);
        page.WaitForAssertion(() => Assert.Equal([ListKeys, "create-cmek", "create-project"], Events(page)));
        List<AuditEvent> records = await RecordsAsync(project);
        Assert.Empty(page.FindAll("#record-fields"));

        // Act
        Rows(page)[1].Click();

        // Assert
        page.WaitForAssertion(() => Assert.Contains("mud-drawer--open", page.Find("#record-drawer").ClassList));
        Assert.Equal(
            [
                ("ID", records[1].Id.ToString()), ("Time", records[1].CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
                ("Event type", "create-cmek"), ("Outcome", "success"), ("Actor type", "user"), ("Actor ID", Core.Admin.Id.ToString()),
                ("Actor name", CoreTestHost.AdminEmail), ("Project ID", project.Id.ToString()), ("Key", key.Name), ("Key ID", key.Id.ToString()),
                ("IP address", "10.0.0.7"), ("User agent", "billing-service/1.2"), ("Hash", records[1].Hash), ("Previous hash", records[2].Hash),
            ],
            page.FindAll("#record-fields tr").Select(r => (r.Children[0].TextContent.Trim(), r.Children[1].TextContent.Trim())));
        Assert.Matches("^[0-9a-f]{64}$", records[1].Hash);
        Assert.Equal($"projects/{project.Id}/kms/{key.Id}", page.Find("#record-fields [data-field=keyId] a").GetAttribute("href"));
        Assert.Equal([("algorithm", "aes-256-gcm"), ("keyName", "billing-data")],
            page.FindAll(".record-metadata-entry").Select(r => (r.Children[0].TextContent, r.Children[1].TextContent)));
        page.WaitForAssertion(() => Assert.Contains("audit-row-selected", Rows(page)[1].ClassList));

        // The oldest record starts the chain, and a record without metadata says so.
        Rows(page)[2].Click();
        page.WaitForAssertion(() => Assert.Equal(new string('0', 64), page.Find("[data-field=prevHash]").TextContent.Trim()));
        Assert.Equal(["projectName"], page.FindAll(".record-metadata-entry").Select(r => r.Children[0].TextContent));
        Rows(page)[0].Click();
        page.WaitForAssertion(() => Assert.Equal("No metadata.", page.Find("#record-no-metadata").TextContent.Trim()));
        Assert.Equal("—", page.Find("[data-field=keyId]").TextContent.Trim());

        page.Find("#record-close").Click();
        page.WaitForAssertion(() => Assert.Contains("mud-drawer--closed", page.Find("#record-drawer").ClassList));
        Assert.Empty(page.FindAll("#record-fields"));
    }
}
