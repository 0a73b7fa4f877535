using Bunit;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Identities;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.Identities;

/// <summary>The organization's machine identities page: organization admins create and delete; everyone else is turned away.</summary>
public sealed class IdentitiesPageTests(CoreTestHost core) : KmsComponentTest(core), IClassFixture<CoreTestHost>
{
    private IdentityService Identities => Core.Services.GetRequiredService<IdentityService>();

    [Fact]
    public async Task Render_ListsTheIdentitiesWithRoleAndAuthMethods()
    {
        IdentityInfo created = await CreateIdentityAsync("listed-service");

        IRenderedComponent<IdentitiesPage> page = RenderPage();

        page.WaitForAssertion(() => Assert.Contains(("instance-admin", "admin", "token"), Rows(page)));
        Assert.Contains((created.Identity.Name, "member", ""), Rows(page));
    }

    [Fact]
    public async Task Create_WithNameAndRole_AppearsAndIsStored()
    {
        // Arrange
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<IdentitiesPage> page = RenderPage();

        // Act
        page.WaitForElement("#create-identity").Click();
        dialogs.WaitForElement("#identity-name").Input("  billing-service  ");
        dialogs.OpenSelect("identity-role");
        popovers.ChooseOption("admin: manages the organization and every project");
        dialogs.Find("#identity-create").Click();

        // Assert
        snackbars.AssertSnackbar("Identity billing-service created");
        page.WaitForAssertion(() => Assert.Contains(("billing-service", "admin", ""), Rows(page)));
        IReadOnlyList<IdentityInfo> stored = await Identities.ListAsync(Core.AdminActor, Core.Organization.Id.ToString(), CancellationToken.None);
        Assert.Equal(OrgRole.Admin, Assert.Single(stored, i => i.Identity.Name == "billing-service").Identity.OrgRole);
    }

    [Fact]
    public async Task Delete_OnceTheNameIsTyped_RemovesTheIdentity()
    {
        IdentityInfo doomed = await CreateIdentityAsync("doomed-service");
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<IdentitiesPage> page = RenderPage();

        page.WaitForElement("[aria-label='Delete doomed-service']").Click();
        dialogs.WaitForElement("#confirm-text").Input("doomed-service");
        dialogs.Find("#confirm-button").Click();

        snackbars.AssertSnackbar("Identity doomed-service deleted");
        page.WaitForAssertion(() => Assert.DoesNotContain(Rows(page), r => r.Name == "doomed-service"));
        IReadOnlyList<IdentityInfo> stored = await Identities.ListAsync(Core.AdminActor, Core.Organization.Id.ToString(), CancellationToken.None);
        Assert.DoesNotContain(stored, i => i.Identity.Id == doomed.Identity.Id);
    }

    [Fact]
    public async Task OrganizationMember_SeesAccessRestrictedAndNoIdentities()
    {
        await CreateIdentityAsync("secret-service");
        SignIn(await Core.CreateUserAsync($"member-{Guid.NewGuid():N}@example.com"));

        IRenderedComponent<IdentitiesPage> page = RenderPage();

        page.WaitForAssertion(() => Assert.Equal("Access restricted: only organization admins manage machine identities.",
            page.Find("#access-restricted").TextContent.Trim()));
        Assert.Empty(page.FindAll("#create-identity"));
        Assert.Empty(page.FindAll(".identity-name"));
    }

    private IRenderedComponent<IdentitiesPage> RenderPage() => Render<IdentitiesPage>();

    private Task<IdentityInfo> CreateIdentityAsync(string name) =>
        Identities.CreateAsync(Core.AdminActor, new CreateIdentityRequest(name, Core.Organization.Id.ToString(), OrgRole.Member), CancellationToken.None);

    /// <summary>The table's rows as (name, organization role, auth methods).</summary>
    private static List<(string Name, string Role, string AuthMethods)> Rows(IRenderedComponent<IdentitiesPage> page) =>
        page.FindAll("#identities-table tbody tr")
            .Select(r => r.QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToArray())
            .Select(cells => (cells[0], cells[1], cells[2]))
            .ToList();
}
