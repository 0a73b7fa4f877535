using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Audit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Web.Components.Pages.Audit;

/// <summary>
/// The audit pages over a real Core: records come from Core operations, and what the page shows is compared with
/// what a person would look for. Opening the project page lists the project's keys for the key filter, which Core
/// audits as <c>get-cmeks</c>: that record is the newest one the page shows.
/// </summary>
public abstract class AuditLogTest(CoreTestHost core) : KmsComponentTest(core)
{
    protected const string ListKeys = AuditEventTypes.ListKeys;

    protected AuditLogService Audit => Core.Services.GetRequiredService<AuditLogService>();

    /// <summary>The admin calling from a given client, as the API would record it.</summary>
    protected Actor AdminFrom(string ip, string userAgent) => Core.AdminActor with { Origin = new RequestOrigin(ip, userAgent) };

    protected Task EncryptAsync(KmsKey key, Actor? actor = null) =>
        Core.Crypto.EncryptAsync(actor ?? Core.AdminActor, key.Id, "hello"u8.ToArray(), null, CancellationToken.None);

    protected Task<Project> NewProjectAsync(string name) => Core.CreateProjectAsync($"{name} {Guid.NewGuid():N}"[..24]);

    /// <summary>Renders the project page and waits for its first rows.</summary>
    protected IRenderedComponent<ProjectAuditLogPage> RenderProject(Project project)
    {
        IRenderedComponent<ProjectAuditLogPage> page = Render<ProjectAuditLogPage>(p => p.Add(x => x.ProjectId, project.Id.ToString()));
        page.WaitForAssertion(() => Assert.NotEmpty(Rows(page)));
        return page;
    }

    /// <summary>Every record of the project's chain as Core serves it, newest first.</summary>
    protected async Task<List<AuditEvent>> RecordsAsync(Project project)
    {
        var records = new List<AuditEvent>();
        AuditPage page;
        do
        {
            page = await Audit.QueryAsync(Core.AdminActor, project.Id.ToString(), new AuditQuery(records.Count, 100), CancellationToken.None);
            records.AddRange(page.Events);
        }
        while (page.Events.Count == 100);
        return records;
    }

    protected static IReadOnlyList<IElement> Rows<T>(IRenderedComponent<T> page)
        where T : IComponent => page.FindAll("tr.audit-row");

    /// <summary>The text of one column (its cell class) in every row, top to bottom.</summary>
    protected static List<string> Column<T>(IRenderedComponent<T> page, string cell)
        where T : IComponent => Rows(page).Select(r => Text(r.QuerySelector($"td.{cell}")!)).ToList();

    /// <summary>An element's text as a person reads it: trimmed, runs of white space as one space.</summary>
    protected static string Text(IElement element) => Regex.Replace(element.TextContent, @"\s+", " ").Trim();

    /// <summary>The key ID each row names (its secondary line under the key's name), or "" for a record without a key.</summary>
    protected static List<string> KeyIds<T>(IRenderedComponent<T> page)
        where T : IComponent => Rows(page).Select(r => r.QuerySelector(".audit-key-id") is { } id ? Text(id) : "").ToList();

    /// <summary>The key name each row shows, or "" for a record without a key.</summary>
    protected static List<string> KeyNames<T>(IRenderedComponent<T> page)
        where T : IComponent => Rows(page).Select(r => r.QuerySelector(".audit-key-name") is { } name ? Text(name) : "").ToList();

    protected static List<string> Events<T>(IRenderedComponent<T> page)
        where T : IComponent => Column(page, "audit-event");
}
