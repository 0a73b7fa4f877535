using InfisicalKms.Core.Access;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Organizations;

/// <summary>
/// Users of an organization: invitation with a one-time password that must be changed, removal with its
/// cascade, and the refusals. Each test gets its own instance, since the tests count the organization's admins.
/// </summary>
public sealed class OrganizationMemberServiceTests : IAsyncLifetime
{
    private readonly CoreTestHost _core = new();
    private readonly CancellationToken _ct = CancellationToken.None;

    private OrganizationMemberService Members => _core.Services.GetRequiredService<OrganizationMemberService>();

    public Task InitializeAsync() => _core.InitializeAsync();

    public Task DisposeAsync() => _core.DisposeAsync();

    [Fact]
    public async Task Invite_AsAdmin_CreatesAUserWhoSignsInWithTheOneTimePasswordAndMustChangeItAsync()
    {
        InvitedUser invited = await Members.InviteAsync(_core.AdminActor, "  New.User@Example.com ", OrgRole.Member, _ct);

        Assert.Equal("new.user@example.com", invited.User.Email);
        Assert.True(invited.OneTimePassword.Length >= 12, "the password policy asks for at least 12 characters");
        Assert.DoesNotContain(invited.OneTimePassword, invited.ToString());
        KmsUser stored = await UserAsync(invited.User.Id);
        Assert.True(stored.MustChangePassword);
        Assert.Equal(_core.Organization.Id, stored.OrganizationId);
        Assert.Equal("NEW.USER@EXAMPLE.COM", stored.NormalizedEmail);
        IPasswordHasher<KmsUser> hasher = _core.Services.GetRequiredService<IPasswordHasher<KmsUser>>();
        Assert.Equal(PasswordVerificationResult.Success, hasher.VerifyHashedPassword(stored, stored.PasswordHash!, invited.OneTimePassword));
        Assert.True(await Members.MustChangePasswordAsync(stored.Id, _ct));
        OrganizationMember listed = Assert.Single(await Members.ListAsync(_core.AdminActor, _ct), m => m.Id == stored.Id);
        Assert.Equal(OrgRole.Member, listed.Role);
    }

    [Fact]
    public async Task Invite_TwoUsers_GetDifferentPasswordsAsync()
    {
        InvitedUser first = await Members.InviteAsync(_core.AdminActor, "first@example.com", OrgRole.Member, _ct);
        InvitedUser second = await Members.InviteAsync(_core.AdminActor, "second@example.com", OrgRole.Admin, _ct);

        Assert.NotEqual(first.OneTimePassword, second.OneTimePassword);
        Assert.Equal(OrgRole.Admin, (await UserAsync(second.User.Id)).OrgRole);
    }

    [Fact]
    public async Task CompletePasswordChange_ClearsTheFlagOfThatUserOnlyAsync()
    {
        InvitedUser first = await Members.InviteAsync(_core.AdminActor, "first@example.com", OrgRole.Member, _ct);
        InvitedUser second = await Members.InviteAsync(_core.AdminActor, "second@example.com", OrgRole.Member, _ct);

        await Members.CompletePasswordChangeAsync(CoreTestHost.ActorFor(await UserAsync(first.User.Id)), _ct);

        Assert.False(await Members.MustChangePasswordAsync(first.User.Id, _ct));
        Assert.True(await Members.MustChangePasswordAsync(second.User.Id, _ct));
        Assert.False(await Members.MustChangePasswordAsync(_core.Admin.Id, _ct));
        Assert.Null(await Members.MustChangePasswordAsync(Guid.NewGuid(), _ct));
    }

    [Fact]
    public async Task Invite_ExistingEmailInAnyCase_RefusedAsync()
    {
        KmsBadRequestException refusal = await Assert.ThrowsAsync<KmsBadRequestException>(() =>
            Members.InviteAsync(_core.AdminActor, "ADMIN@example.com", OrgRole.Member, _ct));

        Assert.Equal("A user with email \"admin@example.com\" already exists", refusal.Message);
        Assert.Single(await Members.ListAsync(_core.AdminActor, _ct));
    }

    [Fact]
    public async Task InviteAndRemove_AsOrganizationMember_PermissionDeniedButListingIsAllowedAsync()
    {
        KmsUser member = await _core.CreateUserAsync("member@example.com");
        Actor actor = CoreTestHost.ActorFor(member);

        var invite = await Assert.ThrowsAsync<KmsPermissionDeniedException>(() => Members.InviteAsync(actor, "x@example.com", OrgRole.Member, _ct));
        var remove = await Assert.ThrowsAsync<KmsPermissionDeniedException>(() => Members.RemoveAsync(actor, _core.Admin.Id, _ct));

        Assert.Equal("You are not allowed to create on member", invite.Message);
        Assert.Equal("You are not allowed to delete on member", remove.Message);
        Assert.Equal(["admin@example.com", "member@example.com"], (await Members.ListAsync(actor, _ct)).Select(m => m.Email));
    }

    [Fact]
    public async Task Remove_UserWithProjectMemberships_DeletesTheAccountAndEveryMembershipAsync()
    {
        // Arrange: a user who is a member of two projects
        Project first = await _core.CreateProjectAsync("First");
        KmsUser user = await _core.CreateMemberAsync(first, ProjectRole.Admin);
        Project second = await _core.CreateProjectAsync("Second");
        MembershipService memberships = _core.Services.GetRequiredService<MembershipService>();
        await memberships.AddUserAsync(_core.AdminActor, second.Id.ToString(), user.Email!, ProjectRole.Viewer, _ct);

        // Act
        OrganizationMember removed = await Members.RemoveAsync(_core.AdminActor, user.Id, _ct);

        // Assert
        Assert.Equal(user.Email, removed.Email);
        Assert.DoesNotContain(await Members.ListAsync(_core.AdminActor, _ct), m => m.Id == user.Id);
        Assert.Empty(await memberships.ListUsersAsync(_core.AdminActor, first.Id.ToString(), _ct));
        Assert.Empty(await memberships.ListUsersAsync(_core.AdminActor, second.Id.ToString(), _ct));
        await using KmsDbContext db = await Db().CreateDbContextAsync();
        Assert.False(await db.UserMemberships.AnyAsync(m => m.UserId == user.Id));
        Assert.Null(await Members.MustChangePasswordAsync(user.Id, _ct));
    }

    [Fact]
    public async Task Remove_Yourself_RefusedAsync()
    {
        await Members.InviteAsync(_core.AdminActor, "second-admin@example.com", OrgRole.Admin, _ct);

        KmsBadRequestException refusal = await Assert.ThrowsAsync<KmsBadRequestException>(() => Members.RemoveAsync(_core.AdminActor, _core.Admin.Id, _ct));

        Assert.Equal("You cannot remove yourself from the organization", refusal.Message);
        Assert.Equal(2, (await Members.ListAsync(_core.AdminActor, _ct)).Count);
    }

    [Fact]
    public async Task Remove_LastAdminUserByAnAdminIdentity_RefusedUntilThereIsAnotherAsync()
    {
        // An organization-admin machine identity is no user: it does not count as the organization's admin.
        IdentityInfo identity = await _core.Services.GetRequiredService<IdentityService>().CreateAsync(
            _core.AdminActor, new CreateIdentityRequest("automation", _core.Organization.Id.ToString(), OrgRole.Admin), _ct);
        var automation = new Actor(ActorType.Identity, identity.Identity.Id, "automation", _core.Organization.Id, OrgRole.Admin);

        KmsBadRequestException refusal = await Assert.ThrowsAsync<KmsBadRequestException>(() => Members.RemoveAsync(automation, _core.Admin.Id, _ct));
        InvitedUser other = await Members.InviteAsync(automation, "other-admin@example.com", OrgRole.Admin, _ct);
        await Members.RemoveAsync(automation, _core.Admin.Id, _ct);

        Assert.Equal("Cannot remove the last admin of the organization", refusal.Message);
        Assert.Equal([other.User.Id], (await Members.ListAsync(automation, _ct)).Select(m => m.Id));
    }

    [Fact]
    public async Task Remove_UnknownUser_IsNotFoundAsync()
    {
        Guid unknown = Guid.NewGuid();

        KmsNotFoundException missing = await Assert.ThrowsAsync<KmsNotFoundException>(() => Members.RemoveAsync(_core.AdminActor, unknown, _ct));

        Assert.Equal($"User with ID \"{unknown}\" not found", missing.Message);
    }

    private IDbContextFactory<KmsDbContext> Db() => _core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>();

    private async Task<KmsUser> UserAsync(Guid id)
    {
        await using KmsDbContext db = await Db().CreateDbContextAsync();
        return await db.Users.AsNoTracking().SingleAsync(u => u.Id == id);
    }
}
