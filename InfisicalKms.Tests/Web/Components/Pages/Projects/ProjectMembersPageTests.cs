using AngleSharp.Dom;
using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Projects;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.Projects;

/// <summary>The project members page against a real Core: what each role sees, and every change persisted.</summary>
public sealed class ProjectMembersPageTests(CoreTestHost core) : KmsComponentTest(core), IClassFixture<CoreTestHost>
{
    private MembershipService Memberships => Core.Services.GetRequiredService<MembershipService>();

    [Fact]
    public async Task Render_ListsUsersAndIdentitiesWithTheirRoles()
    {
        Project project = await Core.CreateProjectAsync("Listing");
        KmsUser admin = await Core.CreateMemberAsync(project, ProjectRole.Admin);
        KmsUser viewer = await Core.CreateMemberAsync(project, ProjectRole.Viewer);
        await AddIdentityAsync(project, "listing-bot", ProjectRole.CryptographicOperator);

        IRenderedComponent<ProjectMembersPage> page = await RenderPageAsync(project);

        Assert.Equal([(admin.Email!, "admin"), (viewer.Email!, "viewer")], Members(page, "user"));
        Assert.Equal([("listing-bot", "cryptographic-operator")], Members(page, "identity"));
    }

    [Fact]
    public async Task AddUser_ByEmailInAnyCase_AppearsWithTheRoleAndIsStored()
    {
        // Arrange
        Project project = await Core.CreateProjectAsync("Add User");
        KmsUser user = await Core.CreateUserAsync($"new-{Guid.NewGuid():N}@example.com");
        (IRenderedComponent<MudPopoverProvider> popovers, IRenderedComponent<MudDialogProvider> dialogs, IRenderedComponent<MudSnackbarProvider> snackbars) = Providers();
        IRenderedComponent<ProjectMembersPage> page = await RenderPageAsync(project);

        // Act
        page.Find("#add-user").Click();
        dialogs.WaitForElement("#member-email").Input(user.Email!.ToUpperInvariant());
        dialogs.OpenSelect("member-role");
        popovers.ChooseOption("member");
        dialogs.Find("#member-add").Click();

        // Assert
        snackbars.AssertSnackbar($"Added {user.Email} as member");
        page.WaitForAssertion(() => Assert.Equal([(user.Email, "member")], Members(page, "user")));
        Assert.Equal(ProjectRole.Member, (await UserRolesAsync(project))[user.Email]);
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("#member-email")));
    }

    [Fact]
    public async Task AddUser_UnknownEmail_SnackbarSaysSoAndTheDialogStaysOpen()
    {
        Project project = await Core.CreateProjectAsync("Unknown User");
        (_, IRenderedComponent<MudDialogProvider> dialogs, IRenderedComponent<MudSnackbarProvider> snackbars) = Providers();
        IRenderedComponent<ProjectMembersPage> page = await RenderPageAsync(project);

        page.Find("#add-user").Click();
        dialogs.WaitForElement("#member-email").Input("nobody@example.com");
        dialogs.Find("#member-add").Click();

        snackbars.AssertSnackbar("User with email \"nobody@example.com\" not found");
        Assert.NotEmpty(dialogs.FindAll("#member-email"));
        Assert.Empty(await UserRolesAsync(project));
    }

    [Fact]
    public async Task AddIdentity_PickedFromTheOrganizationsIdentities_AppearsAndIsStored()
    {
        // Arrange
        Project project = await Core.CreateProjectAsync("Add Identity");
        IdentityInfo identity = await CreateIdentityAsync($"picker-{Guid.NewGuid():N}"[..20]);
        (IRenderedComponent<MudPopoverProvider> popovers, IRenderedComponent<MudDialogProvider> dialogs, IRenderedComponent<MudSnackbarProvider> snackbars) = Providers();
        IRenderedComponent<ProjectMembersPage> page = await RenderPageAsync(project);

        // Act
        page.Find("#add-identity").Click();
        dialogs.WaitForElement("#member-identity");
        dialogs.OpenSelect("member-identity");
        Assert.Contains("instance-admin", popovers.OpenOptions());
        popovers.ChooseOption(identity.Identity.Name);
        dialogs.OpenSelect("member-role");
        popovers.ChooseOption("cryptographic-operator");
        dialogs.Find("#member-add").Click();

        // Assert
        snackbars.AssertSnackbar($"Added {identity.Identity.Name} as cryptographic-operator");
        page.WaitForAssertion(() => Assert.Equal([(identity.Identity.Name, "cryptographic-operator")], Members(page, "identity")));
        MembershipInfo stored = Assert.Single(await Memberships.ListIdentitiesAsync(Core.AdminActor, project.Id.ToString(), CancellationToken.None));
        Assert.Equal((identity.Identity.Id, ProjectRole.CryptographicOperator), (stored.MemberId, stored.Role));
    }

    [Fact]
    public async Task ChangeRole_InTheRow_IsStored()
    {
        Project project = await Core.CreateProjectAsync("Change Role");
        KmsUser viewer = await Core.CreateMemberAsync(project, ProjectRole.Viewer);
        (IRenderedComponent<MudPopoverProvider> popovers, _, IRenderedComponent<MudSnackbarProvider> snackbars) = Providers();
        IRenderedComponent<ProjectMembersPage> page = await RenderPageAsync(project);

        page.OpenSelect($"user-role-{viewer.Id}");
        popovers.ChooseOption("member");

        snackbars.AssertSnackbar($"{viewer.Email} is now member");
        Assert.Equal(ProjectRole.Member, (await UserRolesAsync(project))[viewer.Email!]);
        page.WaitForAssertion(() => Assert.Equal([(viewer.Email!, "member")], Members(page, "user")));
    }

    [Fact]
    public async Task LastAdmin_RoleSelectAndRemoveAreDisabledOnlyInItsRow()
    {
        Project project = await Core.CreateProjectAsync("Single Admin");
        KmsUser admin = await Core.CreateMemberAsync(project, ProjectRole.Admin);
        KmsUser viewer = await Core.CreateMemberAsync(project, ProjectRole.Viewer);

        IRenderedComponent<ProjectMembersPage> page = await RenderPageAsync(project);

        Assert.True(page.Find($"#user-role-{admin.Id}").HasAttribute("disabled"));
        Assert.True(Row(page, "user", admin.Email!).QuerySelector(".remove-member")!.HasAttribute("disabled"));
        Assert.False(page.Find($"#user-role-{viewer.Id}").HasAttribute("disabled"));
        Assert.False(Row(page, "user", viewer.Email!).QuerySelector(".remove-member")!.HasAttribute("disabled"));
    }

    [Fact]
    public async Task DemoteAdmin_WhoBecameTheLastOneMeanwhile_SnackbarShowsTheRefusalAndTheRoleStays()
    {
        // Arrange: two admins (a user and an identity) on screen; then the identity is removed elsewhere
        Project project = await Core.CreateProjectAsync("Stale Page");
        KmsUser admin = await Core.CreateMemberAsync(project, ProjectRole.Admin);
        IdentityInfo identity = await AddIdentityAsync(project, "stale-admin", ProjectRole.Admin);
        (IRenderedComponent<MudPopoverProvider> popovers, _, IRenderedComponent<MudSnackbarProvider> snackbars) = Providers();
        IRenderedComponent<ProjectMembersPage> page = await RenderPageAsync(project);
        Assert.False(page.Find($"#user-role-{admin.Id}").HasAttribute("disabled"));
        await Memberships.RemoveIdentityAsync(Core.AdminActor, project.Id.ToString(), identity.Identity.Id, CancellationToken.None);

        // Act
        page.OpenSelect($"user-role-{admin.Id}");
        popovers.ChooseOption("viewer");

        // Assert
        snackbars.AssertSnackbar("Cannot remove or demote the last admin of project \"Stale Page\"");
        Assert.Equal(ProjectRole.Admin, (await UserRolesAsync(project))[admin.Email!]);
        page.WaitForAssertion(() => Assert.True(page.Find($"#user-role-{admin.Id}").HasAttribute("disabled")));
        Assert.Equal([(admin.Email!, "admin")], Members(page, "user"));
    }

    [Fact]
    public async Task Remove_AfterConfirmation_RemovesTheMember()
    {
        Project project = await Core.CreateProjectAsync("Remove Member");
        KmsUser admin = await Core.CreateMemberAsync(project, ProjectRole.Admin);
        KmsUser viewer = await Core.CreateMemberAsync(project, ProjectRole.Viewer);
        (_, IRenderedComponent<MudDialogProvider> dialogs, IRenderedComponent<MudSnackbarProvider> snackbars) = Providers();
        IRenderedComponent<ProjectMembersPage> page = await RenderPageAsync(project);

        Row(page, "user", viewer.Email!).QuerySelector(".remove-member")!.Click();
        dialogs.WaitForElement("#confirm-button").Click();

        snackbars.AssertSnackbar($"Removed {viewer.Email} from the project");
        page.WaitForAssertion(() => Assert.Equal([(admin.Email!, "admin")], Members(page, "user")));
        Assert.Equal([admin.Email!], (await UserRolesAsync(project)).Keys);
    }

    [Theory]
    [InlineData(ProjectRole.Viewer)]
    [InlineData(ProjectRole.Member)]
    public async Task ReadOnlyRoles_SeeTheMembersButNoManagementControls(ProjectRole role)
    {
        Project project = await Core.CreateProjectAsync($"Read Only {role}");
        KmsUser admin = await Core.CreateMemberAsync(project, ProjectRole.Admin);
        KmsUser caller = await Core.CreateMemberAsync(project, role);
        await AddIdentityAsync(project, "read-only-bot", ProjectRole.Viewer);
        SignIn(caller);

        IRenderedComponent<ProjectMembersPage> page = await RenderPageAsync(project);

        Assert.Equal([(admin.Email!, "admin"), (caller.Email!, role.ToWire())], Members(page, "user"));
        Assert.Equal([("read-only-bot", "viewer")], Members(page, "identity"));
        Assert.Empty(page.FindAll("#add-user"));
        Assert.Empty(page.FindAll("#add-identity"));
        Assert.Empty(page.FindAll(".remove-member"));
        Assert.Empty(page.FindAll("[role=combobox]"));
    }

    [Fact]
    public async Task CryptographicOperator_IsToldItCannotSeeTheMembers()
    {
        Project project = await Core.CreateProjectAsync("Operator");
        SignIn(await Core.CreateMemberAsync(project, ProjectRole.CryptographicOperator));

        IRenderedComponent<ProjectMembersPage> page = await RenderPageAsync(project);

        Assert.Equal("Your role (cryptographic-operator) cannot see the project's members.", page.Find("#cannot-list").TextContent.Trim());
        Assert.Empty(page.FindAll(".member-name"));
    }

    [Fact]
    public async Task NotAMember_IsToldTheProjectDoesNotExistForThem()
    {
        Project project = await Core.CreateProjectAsync("Hidden");
        await Core.CreateMemberAsync(project, ProjectRole.Admin);
        SignIn(await Core.CreateUserAsync($"outsider-{Guid.NewGuid():N}@example.com"));

        IRenderedComponent<ProjectMembersPage> page = Render<ProjectMembersPage>(p => p.Add(x => x.ProjectId, project.Id.ToString()));

        page.WaitForAssertion(() => Assert.Equal("This project does not exist, or you are not a member of it.", page.Find("#project-problem").TextContent.Trim()));
        Assert.Empty(page.FindAll(".member-name"));
    }

    private (IRenderedComponent<MudPopoverProvider>, IRenderedComponent<MudDialogProvider>, IRenderedComponent<MudSnackbarProvider>) Providers() =>
        (Render<MudPopoverProvider>(), Render<MudDialogProvider>(), Render<MudSnackbarProvider>());

    private async Task<IRenderedComponent<ProjectMembersPage>> RenderPageAsync(Project project)
    {
        IRenderedComponent<ProjectMembersPage> page = Render<ProjectMembersPage>(p => p.Add(x => x.ProjectId, project.Id.ToString()));
        await page.WaitForElementAsync("#project-title");
        return page;
    }

    private Task<IdentityInfo> CreateIdentityAsync(string name) =>
        Core.Services.GetRequiredService<IdentityService>().CreateAsync(
            Core.AdminActor, new CreateIdentityRequest(name, Core.Organization.Id.ToString(), OrgRole.Member), CancellationToken.None);

    private async Task<IdentityInfo> AddIdentityAsync(Project project, string name, ProjectRole role)
    {
        IdentityInfo identity = await CreateIdentityAsync(name);
        await Memberships.AddIdentityAsync(Core.AdminActor, project.Id.ToString(), identity.Identity.Id, role, CancellationToken.None);
        return identity;
    }

    private async Task<Dictionary<string, ProjectRole>> UserRolesAsync(Project project) =>
        (await Memberships.ListUsersAsync(Core.AdminActor, project.Id.ToString(), CancellationToken.None)).ToDictionary(m => m.MemberName, m => m.Role);

    /// <summary>Each row of the users or identities table as (name, role shown).</summary>
    private static List<(string Name, string Role)> Members(IRenderedComponent<ProjectMembersPage> page, string kind) =>
        page.FindAll($"#{kind}-members tbody tr")
            .Select(r => (r.QuerySelector(".member-name")!.TextContent.Trim(),
                (r.QuerySelector("span.member-role") ?? r.QuerySelector("[role=combobox]"))!.TextContent.Trim()))
            .ToList();

    private static IElement Row(IRenderedComponent<ProjectMembersPage> page, string kind, string name) =>
        page.FindAll($"#{kind}-members tbody tr").Single(r => r.QuerySelector(".member-name")!.TextContent.Trim() == name);
}
