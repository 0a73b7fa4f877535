using AngleSharp.Dom;
using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Kmip;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Web.Components.Pages.Kmip;

/// <summary>Helpers for the KMIP page's tests: clients made through the real service, the table's rows and menus.</summary>
public abstract class KmipComponentTest : KmsComponentTest
{
    protected KmipComponentTest(CoreTestHost core)
        : base(core)
    {
    }

    protected KmipClientService Clients => Core.Services.GetRequiredService<KmipClientService>();

    protected Task<KmipClient> CreateClientAsync(Project project, string name, KmipPermissions permissions, string? description = null) =>
        Clients.CreateAsync(Core.AdminActor, new CreateKmipClientRequest(project.Id.ToString(), name, description, permissions), CancellationToken.None);

    protected async Task<IRenderedComponent<KmipPage>> RenderPageAsync(Project project)
    {
        IRenderedComponent<KmipPage> page = Render<KmipPage>(p => p.Add(x => x.ProjectId, project.Id.ToString()));
        await page.WaitForElementAsync("#project-title");
        return page;
    }

    /// <summary>Signs in as a new member with <paramref name="role"/>; the admin stays signed in for Admin.</summary>
    protected async Task SignInAsAsync(Project project, ProjectRole role)
    {
        if (role != ProjectRole.Admin)
        {
            KmsUser user = await Core.CreateMemberAsync(project, role);
            SignIn(user);
        }
    }

    protected static List<string> ClientNames(IRenderedComponent<KmipPage> page) =>
        page.FindAll(".kmip-client-name").Select(n => n.TextContent.Trim()).ToList();

    protected static IElement Row(IRenderedComponent<KmipPage> page, string name) =>
        page.FindAll("tbody tr").Single(r => r.QuerySelector(".kmip-client-name")?.TextContent.Trim() == name);

    protected static string Status(IRenderedComponent<KmipPage> page, string name) =>
        Row(page, name).QuerySelector(".kmip-client-status")!.TextContent.Trim();

    /// <summary>Opens a row's menu once the row has loaded.</summary>
    protected static void OpenMenu(IRenderedComponent<KmipPage> page, string name)
    {
        page.WaitForAssertion(() => Row(page, name));
        Row(page, name).QuerySelector(".kmip-client-menu button")!.Click();
    }
}
