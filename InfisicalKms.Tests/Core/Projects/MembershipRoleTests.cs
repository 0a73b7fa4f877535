using InfisicalKms.Core.Access;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Projects;

/// <summary>
/// What the web interface's member management adds to <see cref="MembershipService"/>: role changes, the candidates
/// for "add identity", and the last-admin guard (users and identities counted together) that the API routes lack.
/// </summary>
public sealed class MembershipRoleTests(CoreTestHost core) : IClassFixture<CoreTestHost>
{
    private readonly MembershipService _memberships = core.Services.GetRequiredService<MembershipService>();
    private readonly IdentityService _identities = core.Services.GetRequiredService<IdentityService>();
    private readonly CancellationToken _ct = CancellationToken.None;

    [Fact]
    public async Task ChangeUserRole_ByProjectAdmin_PersistsTheNewRoleAsync()
    {
        Project project = await core.CreateProjectAsync("Role Change");
        KmsUser projectAdmin = await core.CreateMemberAsync(project, ProjectRole.Admin);
        KmsUser viewer = await core.CreateMemberAsync(project, ProjectRole.Viewer);

        MembershipInfo changed = await _memberships.ChangeUserRoleAsync(CoreTestHost.ActorFor(projectAdmin), Id(project), viewer.Id, ProjectRole.CryptographicOperator, _ct);

        Assert.Equal(ProjectRole.CryptographicOperator, changed.Role);
        Assert.Equal(viewer.Email, changed.MemberName);
        Assert.Equal(ProjectRole.CryptographicOperator, (await UserRolesAsync(project))[viewer.Email!]);
    }

    [Fact]
    public async Task ChangeUserRole_LastAdminDemoted_RefusedAndRoleKeptAsync()
    {
        Project project = await core.CreateProjectAsync("Last Admin");
        KmsUser admin = await core.CreateMemberAsync(project, ProjectRole.Admin);
        await core.CreateMemberAsync(project, ProjectRole.Member);

        KmsBadRequestException refusal = await Assert.ThrowsAsync<KmsBadRequestException>(() =>
            _memberships.ChangeUserRoleAsync(core.AdminActor, Id(project), admin.Id, ProjectRole.Member, _ct));

        Assert.Equal("Cannot remove or demote the last admin of project \"Last Admin\"", refusal.Message);
        Assert.Equal(ProjectRole.Admin, (await UserRolesAsync(project))[admin.Email!]);
    }

    [Fact]
    public async Task ChangeUserRole_LastAdminKeepsAdmin_IsNotARefusalAsync()
    {
        Project project = await core.CreateProjectAsync("Same Role");
        KmsUser admin = await core.CreateMemberAsync(project, ProjectRole.Admin);

        MembershipInfo unchanged = await _memberships.ChangeUserRoleAsync(core.AdminActor, Id(project), admin.Id, ProjectRole.Admin, _ct);

        Assert.Equal(ProjectRole.Admin, unchanged.Role);
    }

    [Fact]
    public async Task AdminIdentityAndAdminUser_CountTogether_SoOneMayGoButNotBothAsync()
    {
        // Arrange: one admin user and one admin identity
        Project project = await core.CreateProjectAsync("Mixed Admins");
        KmsUser user = await core.CreateMemberAsync(project, ProjectRole.Admin);
        IdentityInfo identity = await CreateIdentityAsync("mixed-admin");
        await _memberships.AddIdentityAsync(core.AdminActor, Id(project), identity.Identity.Id, ProjectRole.Admin, _ct);

        // Act: the user steps down, which leaves the identity as the last admin
        await _memberships.ChangeUserRoleAsync(core.AdminActor, Id(project), user.Id, ProjectRole.Viewer, _ct);
        KmsBadRequestException demote = await Assert.ThrowsAsync<KmsBadRequestException>(() =>
            _memberships.ChangeIdentityRoleAsync(core.AdminActor, Id(project), identity.Identity.Id, ProjectRole.Member, _ct));
        KmsBadRequestException remove = await Assert.ThrowsAsync<KmsBadRequestException>(() =>
            _memberships.RemoveIdentityUnlessLastAdminAsync(core.AdminActor, Id(project), identity.Identity.Id, _ct));

        // Assert
        Assert.Equal("Cannot remove or demote the last admin of project \"Mixed Admins\"", demote.Message);
        Assert.Equal(demote.Message, remove.Message);
        IReadOnlyList<MembershipInfo> identities = await _memberships.ListIdentitiesAsync(core.AdminActor, Id(project), _ct);
        Assert.Equal(ProjectRole.Admin, Assert.Single(identities).Role);
        Assert.Equal(ProjectRole.Viewer, (await UserRolesAsync(project))[user.Email!]);
    }

    [Fact]
    public async Task ChangeUserRole_TwoAdminsDemotedAtOnce_ExactlyOneIsRefusedAsync()
    {
        // Five projects with two admins each; in every one, both admins are demoted at the same time on two threads.
        for (int round = 0; round < 5; round++)
        {
            Project project = await core.CreateProjectAsync($"Race {round}");
            KmsUser first = await core.CreateMemberAsync(project, ProjectRole.Admin);
            KmsUser second = await core.CreateMemberAsync(project, ProjectRole.Admin);
            using var start = new Barrier(2);

            Exception?[] outcomes = await Task.WhenAll(
                Task.Run(() => OutcomeAsync(start, () => _memberships.ChangeUserRoleAsync(core.AdminActor, Id(project), first.Id, ProjectRole.Viewer, _ct))),
                Task.Run(() => OutcomeAsync(start, () => _memberships.ChangeUserRoleAsync(core.AdminActor, Id(project), second.Id, ProjectRole.Viewer, _ct))));

            Assert.Single(outcomes, o => o is null);
            Assert.Single(outcomes, o => o is KmsBadRequestException);
            Assert.Single((await UserRolesAsync(project)).Values, r => r == ProjectRole.Admin);
        }
    }

    [Fact]
    public async Task RemoveUserUnlessLastAdmin_LastAdmin_RefusedButOtherMembersGoAsync()
    {
        Project project = await core.CreateProjectAsync("Guarded Removal");
        KmsUser admin = await core.CreateMemberAsync(project, ProjectRole.Admin);
        KmsUser member = await core.CreateMemberAsync(project, ProjectRole.Member);

        KmsBadRequestException refusal = await Assert.ThrowsAsync<KmsBadRequestException>(() =>
            _memberships.RemoveUserUnlessLastAdminAsync(core.AdminActor, Id(project), admin.Id, _ct));
        MembershipInfo removed = await _memberships.RemoveUserUnlessLastAdminAsync(core.AdminActor, Id(project), member.Id, _ct);

        Assert.Equal("Cannot remove or demote the last admin of project \"Guarded Removal\"", refusal.Message);
        Assert.Equal(member.Id, removed.MemberId);
        Assert.Equal([admin.Email!], (await UserRolesAsync(project)).Keys);
    }

    [Fact]
    public async Task RemoveUser_TheApiMethod_StillRemovesTheLastAdminAsSpecifiedAsync()
    {
        Project project = await core.CreateProjectAsync("Api Removal");
        KmsUser admin = await core.CreateMemberAsync(project, ProjectRole.Admin);
        IdentityInfo identity = await CreateIdentityAsync("api-removal");
        await _memberships.AddIdentityAsync(core.AdminActor, Id(project), identity.Identity.Id, ProjectRole.Admin, _ct);
        await _memberships.RemoveIdentityAsync(core.AdminActor, Id(project), identity.Identity.Id, _ct);

        MembershipInfo removed = await _memberships.RemoveUserAsync(core.AdminActor, Id(project), admin.Id, _ct);

        Assert.Equal(ProjectRole.Admin, removed.Role);
        Assert.Empty(await UserRolesAsync(project));
    }

    [Theory]
    [InlineData(ProjectRole.Member)]
    [InlineData(ProjectRole.Viewer)]
    public async Task ChangeRoles_WithoutDeleteOnTheSubject_PermissionDeniedAsync(ProjectRole callerRole)
    {
        Project project = await core.CreateProjectAsync($"Denied {callerRole}");
        KmsUser caller = await core.CreateMemberAsync(project, callerRole);
        KmsUser other = await core.CreateMemberAsync(project, ProjectRole.NoAccess);
        IdentityInfo identity = await CreateIdentityAsync("denied");
        await _memberships.AddIdentityAsync(core.AdminActor, Id(project), identity.Identity.Id, ProjectRole.NoAccess, _ct);
        Actor actor = CoreTestHost.ActorFor(caller);

        var user = await Assert.ThrowsAsync<KmsPermissionDeniedException>(() => _memberships.ChangeUserRoleAsync(actor, Id(project), other.Id, ProjectRole.Admin, _ct));
        var machine = await Assert.ThrowsAsync<KmsPermissionDeniedException>(() =>
            _memberships.ChangeIdentityRoleAsync(actor, Id(project), identity.Identity.Id, ProjectRole.Admin, _ct));
        var remove = await Assert.ThrowsAsync<KmsPermissionDeniedException>(() => _memberships.RemoveUserUnlessLastAdminAsync(actor, Id(project), other.Id, _ct));
        var candidates = await Assert.ThrowsAsync<KmsPermissionDeniedException>(() => _memberships.ListAddableIdentitiesAsync(actor, Id(project), _ct));

        Assert.Equal("You are not allowed to delete on member", user.Message);
        Assert.Equal("You are not allowed to delete on identity", machine.Message);
        Assert.Equal("You are not allowed to delete on member", remove.Message);
        Assert.Equal("You are not allowed to create on identity", candidates.Message);
        Assert.Equal(ProjectRole.NoAccess, (await UserRolesAsync(project))[other.Email!]);
    }

    [Fact]
    public async Task ChangeUserRole_NotAMemberOfTheProject_IsNotFoundAsync()
    {
        Project project = await core.CreateProjectAsync("Not Found");
        KmsUser outsider = await core.CreateUserAsync($"outsider-{Guid.NewGuid():N}@example.com");

        var notMember = await Assert.ThrowsAsync<KmsNotFoundException>(() =>
            _memberships.ChangeUserRoleAsync(core.AdminActor, Id(project), outsider.Id, ProjectRole.Viewer, _ct));
        var invisible = await Assert.ThrowsAsync<KmsNotFoundException>(() =>
            _memberships.ChangeUserRoleAsync(CoreTestHost.ActorFor(outsider), Id(project), outsider.Id, ProjectRole.Admin, _ct));

        Assert.Equal($"User with ID \"{outsider.Id}\" is not a member of project with ID \"{project.Id}\"", notMember.Message);
        Assert.Equal($"Project with ID \"{project.Id}\" not found", invisible.Message);
    }

    [Fact]
    public async Task ListAddableIdentities_LeavesOutTheProjectsIdentitiesAsync()
    {
        Project project = await core.CreateProjectAsync("Candidates");
        IdentityInfo member = await CreateIdentityAsync($"member-{Guid.NewGuid():N}");
        IdentityInfo candidate = await CreateIdentityAsync($"candidate-{Guid.NewGuid():N}");
        await _memberships.AddIdentityAsync(core.AdminActor, Id(project), member.Identity.Id, ProjectRole.Viewer, _ct);

        IReadOnlyList<MachineIdentity> candidates = await _memberships.ListAddableIdentitiesAsync(core.AdminActor, Id(project), _ct);

        Assert.Contains(candidates, i => i.Id == candidate.Identity.Id);
        Assert.Contains(candidates, i => i.Name == "instance-admin");
        Assert.DoesNotContain(candidates, i => i.Id == member.Identity.Id);
    }

    private static string Id(Project project) => project.Id.ToString();

    private static async Task<Exception?> OutcomeAsync(Barrier start, Func<Task> action)
    {
        start.SignalAndWait();
        try
        {
            await action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private Task<IdentityInfo> CreateIdentityAsync(string name) =>
        _identities.CreateAsync(core.AdminActor, new CreateIdentityRequest(name, core.Organization.Id.ToString(), OrgRole.Member), _ct);

    private async Task<Dictionary<string, ProjectRole>> UserRolesAsync(Project project) =>
        (await _memberships.ListUsersAsync(core.AdminActor, Id(project), _ct)).ToDictionary(m => m.MemberName, m => m.Role);
}
