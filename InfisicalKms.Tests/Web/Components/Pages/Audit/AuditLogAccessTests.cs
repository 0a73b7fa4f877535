using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Audit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.Audit;

/// <summary>Who may read which chain: project readers (admin, member, viewer) and, for the organization chain, organization admins.</summary>
public sealed class AuditLogAccessTests(CoreTestHost core) : AuditLogTest(core), IClassFixture<CoreTestHost>
{
    [Fact]
    public async Task ProjectPage_Viewer_ReadsAndVerifiesTheLog()
    {
        Project project = await NewProjectAsync("Viewer");
        KmsUser viewer = await Core.CreateMemberAsync(project, ProjectRole.Viewer);
        SignIn(viewer);

        IRenderedComponent<ProjectAuditLogPage> page = RenderProject(project);

        page.WaitForAssertion(() => Assert.Equal([ListKeys, "add-user-membership", "create-project"], Events(page)));
        Assert.Equal([$"user {viewer.Email}", $"user {CoreTestHost.AdminEmail}", $"user {CoreTestHost.AdminEmail}"], Column(page, "audit-actor"));
        Assert.EndsWith("your role: viewer", page.Find("#project-title").TextContent.Trim(), StringComparison.Ordinal);
        page.Find("#verify-chain").Click();
        page.WaitForAssertion(() => Assert.Equal("3 records checked, chain intact", page.Find("#verify-result").TextContent.Trim()));
    }

    [Theory]
    [InlineData(ProjectRole.CryptographicOperator)]
    [InlineData(ProjectRole.NoAccess)]
    public async Task ProjectPage_RoleWithoutAuditRead_IsToldItsRoleCannotReadTheLog(ProjectRole role)
    {
        Project project = await NewProjectAsync("Refused");
        SignIn(await Core.CreateMemberAsync(project, role));

        IRenderedComponent<ProjectAuditLogPage> page = Render<ProjectAuditLogPage>(p => p.Add(x => x.ProjectId, project.Id.ToString()));

        page.WaitForAssertion(() => Assert.Equal(
            "Your role cannot read the audit log. The viewer, member and admin roles can.", page.Find("#audit-problem").TextContent.Trim()));
        Assert.Empty(page.FindAll("#audit-table"));
        Assert.Empty(page.FindAll("#export-csv"));
    }

    [Fact]
    public async Task ProjectPage_NotAMember_IsToldTheProjectDoesNotExistForThem()
    {
        Project project = await NewProjectAsync("Outsider");
        SignIn(await Core.CreateUserAsync($"outsider-{Guid.NewGuid():N}@example.com"));

        IRenderedComponent<ProjectAuditLogPage> page = Render<ProjectAuditLogPage>(p => p.Add(x => x.ProjectId, project.Id.ToString()));

        page.WaitForAssertion(() => Assert.Equal(
            "This project does not exist, or you are not a member of it.", page.Find("#audit-problem").TextContent.Trim()));
        Assert.Empty(page.FindAll("#audit-table"));
    }

    [Fact]
    public async Task OrganizationPage_OrgAdmin_ShowsAndVerifiesTheOrganizationChain()
    {
        // Arrange
        await Core.Services.GetRequiredService<IdentityService>().CreateAsync(
            Core.AdminActor, new CreateIdentityRequest("billing-service", Core.Organization.Id.ToString(), OrgRole.Member), CancellationToken.None);
        AuditPage chain = await Audit.QueryOrganizationAsync(Core.AdminActor, new AuditQuery(0, 100), CancellationToken.None);
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();

        // Act
        IRenderedComponent<OrganizationAuditLogPage> page = Render<OrganizationAuditLogPage>();

        // Assert: newest first, without a key column (organization records name no key)
        page.WaitForAssertion(() => Assert.Equal(chain.TotalCount, Rows(page).Count));
        Assert.Equal("create-identity", Events(page)[0]);
        Assert.Equal("bootstrap-instance", Events(page)[^1]);
        Assert.DoesNotContain("Key", page.FindAll("#audit-table th").Select(h => h.TextContent.Trim()));
        Assert.Empty(page.FindAll("#filter-key"));
        page.OpenSelect("filter-event-type");
        Assert.Contains("login-identity-universal-auth", popovers.OpenOptions());
        Assert.DoesNotContain("cmek-encrypt", popovers.OpenOptions());
        popovers.ChooseOption("create-identity");
        page.WaitForAssertion(() => Assert.Equal(["create-identity"], Events(page)));
        page.Find("#verify-chain").Click();
        page.WaitForAssertion(() => Assert.Equal($"{chain.TotalCount} records checked, chain intact", page.Find("#verify-result").TextContent.Trim()));
    }

    [Fact]
    public async Task OrganizationPage_ProjectAdminWhoIsNoOrgAdmin_SeesAccessRestricted()
    {
        Project project = await NewProjectAsync("Org Restricted");
        SignIn(await Core.CreateMemberAsync(project, ProjectRole.Admin));

        IRenderedComponent<OrganizationAuditLogPage> page = Render<OrganizationAuditLogPage>();

        page.WaitForAssertion(() => Assert.Equal(
            "Access restricted: only organization admins can read the organization audit log.", page.Find("#audit-problem").TextContent.Trim()));
        Assert.Empty(page.FindAll("#audit-table"));
    }
}
