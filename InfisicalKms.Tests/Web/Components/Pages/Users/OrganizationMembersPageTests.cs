using Bunit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Extensions;

namespace InfisicalKms.Tests.Web.Components.Pages.Users;

/// <summary>The organization's users: admins invite (one-time password shown once) and remove; members only look.</summary>
public sealed class OrganizationMembersPageTests(CoreTestHost core) : KmsComponentTest(core), IClassFixture<CoreTestHost>
{
    private OrganizationMemberService Members => Core.Services.GetRequiredService<OrganizationMemberService>();

    [Fact]
    public void Render_AdminSeesTheUsersAndCannotRemoveThemselves()
    {
        IRenderedComponent<OrganizationMembersPage> page = RenderPage();

        Assert.Contains((CoreTestHost.AdminEmail, "admin", "Active"), Rows(page));
        Assert.NotEmpty(page.FindAll("#invite-user"));
        Assert.True(page.Find($"[aria-label='Remove {CoreTestHost.AdminEmail}']").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Invite_ShowsTheOneTimePasswordOnceWithAWarning_AndTheUserMustChangeIt()
    {
        // Arrange
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<OrganizationMembersPage> page = RenderPage();

        // Act
        page.Find("#invite-user").Click();
        dialogs.WaitForElement("#invite-email").Input("Invitee@Example.com");
        dialogs.Find("#invite-submit").Click();

        // Assert: the password once, with the warning; it signs in as the new user, who must change it
        snackbars.AssertSnackbar("invitee@example.com invited as member");
        dialogs.WaitForAssertion(() => Assert.Contains("cannot be shown again", dialogs.Find("#password-warning").TextContent));
        string password = dialogs.FieldValue("one-time-password")!;
        KmsUser stored = await UserAsync("invitee@example.com");
        PasswordVerificationResult check = Core.Services.GetRequiredService<IPasswordHasher<KmsUser>>().VerifyHashedPassword(stored, stored.PasswordHash!, password);
        Assert.Equal(PasswordVerificationResult.Success, check);
        Assert.True(stored.MustChangePassword);
        dialogs.Find("#invite-done").Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("#one-time-password")));
        page.WaitForAssertion(() => Assert.Contains(("invitee@example.com", "member", "Invited: one-time password not changed yet"), Rows(page)));
        Assert.DoesNotContain(password, page.Markup + dialogs.Markup);
    }

    [Fact]
    public void Invite_OnceThePasswordIsShown_OutsideClicksNoLongerCloseTheDialogButEscapeStillDoes()
    {
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<OrganizationMembersPage> page = RenderPage();
        page.Find("#invite-user").Click();
        dialogs.WaitForElement("#invite-email");
        DialogOptions form = dialogs.FindComponent<MudDialogContainer>().Instance.GetState(x => x.Options);
        Assert.Null(form.CloseOnEscapeKey);   // the providers' default: Escape closes it (MudProviders)

        dialogs.Find("#invite-email").Input($"escape-{Guid.NewGuid():N}@example.com");
        dialogs.Find("#invite-submit").Click();

        dialogs.WaitForElement("#one-time-password");
        DialogOptions shown = dialogs.FindComponent<MudDialogContainer>().Instance.GetState(x => x.Options);
        Assert.Equal((null, false), (shown.CloseOnEscapeKey, shown.BackdropClick));
    }

    [Fact]
    public void Invite_ExistingEmail_SnackbarSaysSo()
    {
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<OrganizationMembersPage> page = RenderPage();

        page.Find("#invite-user").Click();
        dialogs.WaitForElement("#invite-email").Input("ADMIN@example.com");
        dialogs.Find("#invite-submit").Click();

        snackbars.AssertSnackbar("A user with email \"admin@example.com\" already exists");
        Assert.Empty(dialogs.FindAll("#one-time-password"));
    }

    [Fact]
    public async Task Remove_OnceTheEmailIsTyped_DeletesTheUserAndTheirProjectMemberships()
    {
        // Arrange
        Project project = await Core.CreateProjectAsync("Leaver Project");
        KmsUser leaver = await Core.CreateMemberAsync(project, ProjectRole.Member);
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<OrganizationMembersPage> page = RenderPage();

        // Act
        page.Find($"[aria-label='Remove {leaver.Email}']").Click();
        dialogs.WaitForElement("#confirm-text").Input(leaver.Email!);
        dialogs.Find("#confirm-button").Click();

        // Assert
        snackbars.AssertSnackbar($"Removed {leaver.Email} from the organization");
        page.WaitForAssertion(() => Assert.DoesNotContain(Rows(page), r => r.Email == leaver.Email));
        Assert.DoesNotContain(await Members.ListAsync(Core.AdminActor, CancellationToken.None), m => m.Id == leaver.Id);
        Assert.Empty(await Core.Services.GetRequiredService<MembershipService>().ListUsersAsync(Core.AdminActor, project.Id.ToString(), CancellationToken.None));
    }

    [Fact]
    public async Task OrganizationMember_SeesTheUsersReadOnly()
    {
        KmsUser member = await Core.CreateUserAsync($"reader-{Guid.NewGuid():N}@example.com");
        SignIn(member);

        IRenderedComponent<OrganizationMembersPage> page = RenderPage();

        Assert.Contains((CoreTestHost.AdminEmail, "admin", "Active"), Rows(page));
        Assert.Contains((member.Email!, "member", "Active"), Rows(page));
        Assert.Equal("Only organization admins invite and remove users.", page.Find("#read-only").TextContent.Trim());
        Assert.Empty(page.FindAll("#invite-user"));
        Assert.Empty(page.FindAll(".remove-user"));
    }

    private IRenderedComponent<OrganizationMembersPage> RenderPage()
    {
        IRenderedComponent<OrganizationMembersPage> page = Render<OrganizationMembersPage>();
        page.WaitForElement("#org-members");
        return page;
    }

    private async Task<KmsUser> UserAsync(string email)
    {
        await using KmsDbContext db = await Core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        return await db.Users.AsNoTracking().SingleAsync(u => u.Email == email);
    }

    /// <summary>The table's rows as (email, organization role, status).</summary>
    private static List<(string Email, string Role, string Status)> Rows(IRenderedComponent<OrganizationMembersPage> page) =>
        page.FindAll("#org-members tbody tr")
            .Select(r => (r.QuerySelector(".org-member-email")!.TextContent.Trim(), r.QuerySelector(".org-member-role")!.TextContent.Trim(),
                r.QuerySelector(".org-member-status")!.TextContent.Trim()))
            .ToList();
}
