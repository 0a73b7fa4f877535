using System.Globalization;
using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Audit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.Audit;

/// <summary>Export CSV: every record the filters select (more than one page of Core's largest), as a spreadsheet can safely open it.</summary>
public sealed class AuditLogExportTests(CoreTestHost core) : AuditLogTest(core), IClassFixture<CoreTestHost>
{
    private const string Header = "id,createdAt,eventType,outcome,actorType,actorId,actorName,projectId,keyId,ipAddress,userAgent,metadata,hash,prevHash";

    [Fact]
    public async Task ExportCsv_FilteredRecords_DownloadsEveryMatchingRowQuotedAndNeutralised()
    {
        // Arrange: 103 encryptions, the last two from clients whose text a spreadsheet would run as formulas
        Project project = await NewProjectAsync("Export");
        KmsKey key = await Core.CreateKeyAsync(project, "exported", KeyAlgorithm.Aes256Gcm);
        for (int i = 0; i < 101; i++)
        {
            await EncryptAsync(key);
        }

        await EncryptAsync(key, AdminFrom("10.0.0.9", "=HYPERLINK(\"http://evil.example\",\"click\")"));
        KmsUser dash = await Core.CreateUserAsync($"-dash-{Guid.NewGuid():N}@example.com");
        await Core.Services.GetRequiredService<MembershipService>().AddUserAsync(Core.AdminActor, project.Id.ToString(), dash.Email!, ProjectRole.Member, CancellationToken.None);
        await EncryptAsync(key, CoreTestHost.ActorFor(dash) with { Origin = new RequestOrigin("10.0.0.10", "@SUM(1+1)") });
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<ProjectAuditLogPage> page = RenderProject(project);
        page.OpenSelect("filter-event-type");
        popovers.ChooseOption("cmek-encrypt");
        page.WaitForAssertion(() => Assert.Contains("1-20 of 103", page.Find(".mud-table-pagination").TextContent, StringComparison.Ordinal));

        // Act
        page.Find("#export-csv").Click();

        // Assert
        snackbars.WaitForAssertion(() => Assert.Contains("Exported 103 records", snackbars.Markup, StringComparison.Ordinal));
        JSRuntimeInvocation download = JSInterop.VerifyInvoke("kms.download");
        Assert.Matches($"^{project.Slug}-audit-log-[0-9]{{8}}-[0-9]{{6}}\\.csv$", (string)download.Arguments[0]!);
        string[] lines = ((string)download.Arguments[1]!).Split("\r\n");
        Assert.Equal(Header, lines[0]);
        Assert.Equal("", lines[^1]);   // every row ends with CRLF
        List<AuditEvent> encryptions = (await RecordsAsync(project)).Where(r => r.EventType == AuditEventTypes.Encrypt).ToList();
        Assert.Equal(103, lines.Length - 2);
        Assert.Equal(encryptions.Select(r => r.Id.ToString()), lines[1..^1].Select(l => l[..36]));

        AuditEvent byDash = encryptions[0], byHyperlink = encryptions[1], plain = encryptions[^1];
        Assert.Equal(
            $"{byDash.Id},{Iso(byDash)},cmek-encrypt,success,user,{dash.Id},'{dash.Email},{project.Id},{key.Id},10.0.0.10,'@SUM(1+1)," +
            $"\"{{\"\"keyVersion\"\":\"\"1\"\"}}\",{byDash.Hash},{byDash.PrevHash}",
            lines[1]);
        Assert.Equal(
            $"{byHyperlink.Id},{Iso(byHyperlink)},cmek-encrypt,success,user,{Core.Admin.Id},{CoreTestHost.AdminEmail},{project.Id},{key.Id},10.0.0.9," +
            $"\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",\"{{\"\"keyVersion\"\":\"\"1\"\"}}\",{byHyperlink.Hash},{byHyperlink.PrevHash}",
            lines[2]);
        Assert.Equal(
            $"{plain.Id},{Iso(plain)},cmek-encrypt,success,user,{Core.Admin.Id},{CoreTestHost.AdminEmail},{project.Id},{key.Id},,," +
            $"\"{{\"\"keyVersion\"\":\"\"1\"\"}}\",{plain.Hash},{plain.PrevHash}",
            lines[^2]);
    }

    [Fact]
    public async Task ExportCsv_NothingMatches_DownloadsTheHeaderOnly()
    {
        Project project = await NewProjectAsync("Empty Export");
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<ProjectAuditLogPage> page = RenderProject(project);
        page.OpenSelect("filter-event-type");
        popovers.ChooseOption("cmek-sign");
        page.WaitForAssertion(() => Assert.Equal("No audit records match these filters.", page.Find("#no-records").TextContent.Trim()));

        page.Find("#export-csv").Click();

        page.WaitForAssertion(() => Assert.Equal(Header + "\r\n", JSInterop.VerifyInvoke("kms.download").Arguments[1]));
    }

    private static string Iso(AuditEvent record) => record.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
