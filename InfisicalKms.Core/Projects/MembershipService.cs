using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace InfisicalKms.Core.Projects;

/// <summary>Project memberships of machine identities (spec §8.10) and users (spec §8.11).</summary>
public sealed class MembershipService(IDbContextFactory<KmsDbContext> dbFactory, AuditLog audit, TimeProvider clock)
{
    public Task<MembershipInfo> AddIdentityAsync(Actor actor, string projectId, Guid identityId, ProjectRole role, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.AddIdentityMembership)
            .With("targetIdentityId", identityId.ToString()).With("role", role.ToWire());
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, entry, ct, Permission.CreateIdentityMembership);
            string name = await db.Identities.Where(i => i.Id == identityId && i.OrganizationId == project.OrganizationId)
                .Select(i => i.Name).FirstOrDefaultAsync(ct) ?? throw KmsNotFoundException.Identity(identityId.ToString());
            var duplicate = new KmsBadRequestException($"Identity with ID \"{identityId}\" is already a member of project with ID \"{projectId}\"");
            if (await db.IdentityMemberships.AnyAsync(m => m.ProjectId == project.Id && m.IdentityId == identityId, ct))
            {
                throw duplicate;
            }

            var membership = new IdentityMembership
            {
                Id = Guid.CreateVersion7(), ProjectId = project.Id, IdentityId = identityId, Role = role, CreatedAt = clock.GetUtcNow().UtcDateTime,
            };
            db.IdentityMemberships.Add(membership);
            await SaveOrThrowAsync(db, entry, duplicate, ct);
            return new MembershipInfo(membership.Id, project.Id, identityId, name, role, membership.CreatedAt);
        });
    }

    public async Task<IReadOnlyList<MembershipInfo>> ListIdentitiesAsync(Actor actor, string projectId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, ct, Permission.ReadIdentityMemberships);
        var rows = await db.IdentityMemberships.AsNoTracking().Where(m => m.ProjectId == project.Id)
            .Join(db.Identities, m => m.IdentityId, i => i.Id, (m, i) => new { m, i.Name }).ToListAsync(ct);
        return rows.OrderBy(r => r.m.CreatedAt).ThenBy(r => r.m.Id)
            .Select(r => new MembershipInfo(r.m.Id, r.m.ProjectId, r.m.IdentityId, r.Name, r.m.Role, r.m.CreatedAt)).ToList();
    }

    /// <summary>The organization's identities that are not yet members of the project: whom a caller allowed to add identities may pick.</summary>
    public async Task<IReadOnlyList<MachineIdentity>> ListAddableIdentitiesAsync(Actor actor, string projectId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, ct, Permission.CreateIdentityMembership);
        List<MachineIdentity> identities = await db.Identities.AsNoTracking()
            .Where(i => i.OrganizationId == project.OrganizationId && !db.IdentityMemberships.Any(m => m.ProjectId == project.Id && m.IdentityId == i.Id))
            .ToListAsync(ct);
        return identities.OrderBy(i => i.Name, StringComparer.Ordinal).ThenBy(i => i.Id).ToList();
    }

    /// <summary>Removes an identity from a project as the API does (spec §8.10.3): no last-admin guard.</summary>
    public Task<MembershipInfo> RemoveIdentityAsync(Actor actor, string projectId, Guid identityId, CancellationToken ct) =>
        RemoveIdentityAsync(actor, projectId, identityId, keepAnAdmin: false, ct);

    /// <summary>Removes an identity from a project unless it holds the project's last admin membership (the web interface).</summary>
    public Task<MembershipInfo> RemoveIdentityUnlessLastAdminAsync(Actor actor, string projectId, Guid identityId, CancellationToken ct) =>
        RemoveIdentityAsync(actor, projectId, identityId, keepAnAdmin: true, ct);

    /// <summary>Gives an identity another role in a project; needs delete and create on identity, as removing and re-adding would.</summary>
    /// <remarks>Demoting the project's last admin membership is refused (<see cref="LastAdminGuard"/>).</remarks>
    public Task<MembershipInfo> ChangeIdentityRoleAsync(Actor actor, string projectId, Guid identityId, ProjectRole role, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.UpdateIdentityMembership)
            .With("targetIdentityId", identityId.ToString()).With("role", role.ToWire());
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(ct);   // the admin count and the update are one step
            (Project project, _) = await ProjectAccess.RequireProjectAsync(
                db, actor, projectId, entry, ct, Permission.DeleteIdentityMembership, Permission.CreateIdentityMembership);
            await db.Database.LockAsync(LockScope.Members, project.Id, ct);   // PostgreSQL: one guard at a time per project
            IdentityMembership membership = await FindIdentityMembershipAsync(db, project, projectId, identityId, ct);
            entry.With("previousRole", membership.Role.ToWire());
            await LastAdminGuard.CheckAsync(db, project, membership.Role, role, ct);
            membership.Role = role;
            await audit.SaveAsync(entry, db, ct);
            await transaction.CommitAsync(ct);
            AuditLog.MarkCommitted(entry);
            string name = await db.Identities.Where(i => i.Id == identityId).Select(i => i.Name).FirstAsync(ct);
            return new MembershipInfo(membership.Id, project.Id, identityId, name, role, membership.CreatedAt);
        });
    }

    public Task<MembershipInfo> AddUserAsync(Actor actor, string projectId, string email, ProjectRole role, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.AddUserMembership).With("role", role.ToWire());
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, entry, ct, Permission.CreateMember);
            string normalized = email.ToUpperInvariant();
            var user = await db.Users.Where(u => u.NormalizedEmail == normalized && u.OrganizationId == project.OrganizationId)
                .Select(u => new { u.Id, u.Email }).FirstOrDefaultAsync(ct)
                ?? throw new KmsNotFoundException($"User with email \"{email}\" not found");
            entry.With("targetUserId", user.Id.ToString());
            var duplicate = new KmsBadRequestException($"User with email \"{email}\" is already a member of project with ID \"{projectId}\"");
            if (await db.UserMemberships.AnyAsync(m => m.ProjectId == project.Id && m.UserId == user.Id, ct))
            {
                throw duplicate;
            }

            var membership = new UserMembership
            {
                Id = Guid.CreateVersion7(), ProjectId = project.Id, UserId = user.Id, Role = role, CreatedAt = clock.GetUtcNow().UtcDateTime,
            };
            db.UserMemberships.Add(membership);
            await SaveOrThrowAsync(db, entry, duplicate, ct);
            return new MembershipInfo(membership.Id, project.Id, user.Id, user.Email ?? "", role, membership.CreatedAt);
        });
    }

    public async Task<IReadOnlyList<MembershipInfo>> ListUsersAsync(Actor actor, string projectId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, ct, Permission.ReadMembers);
        var rows = await db.UserMemberships.AsNoTracking().Where(m => m.ProjectId == project.Id)
            .Join(db.Users, m => m.UserId, u => u.Id, (m, u) => new { m, u.Email }).ToListAsync(ct);
        return rows.OrderBy(r => r.m.CreatedAt).ThenBy(r => r.m.Id)
            .Select(r => new MembershipInfo(r.m.Id, r.m.ProjectId, r.m.UserId, r.Email ?? "", r.m.Role, r.m.CreatedAt)).ToList();
    }

    /// <summary>Removes a user from a project as the API does (spec §8.11.3): no last-admin guard.</summary>
    public Task<MembershipInfo> RemoveUserAsync(Actor actor, string projectId, Guid userId, CancellationToken ct) =>
        RemoveUserAsync(actor, projectId, userId, keepAnAdmin: false, ct);

    /// <summary>Removes a user from a project unless it holds the project's last admin membership (the web interface).</summary>
    public Task<MembershipInfo> RemoveUserUnlessLastAdminAsync(Actor actor, string projectId, Guid userId, CancellationToken ct) =>
        RemoveUserAsync(actor, projectId, userId, keepAnAdmin: true, ct);

    /// <summary>Gives a user another role in a project; needs delete and create on member, as removing and re-adding would.</summary>
    /// <remarks>Demoting the project's last admin membership is refused (<see cref="LastAdminGuard"/>).</remarks>
    public Task<MembershipInfo> ChangeUserRoleAsync(Actor actor, string projectId, Guid userId, ProjectRole role, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.UpdateUserMembership)
            .With("targetUserId", userId.ToString()).With("role", role.ToWire());
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(ct);   // the admin count and the update are one step
            (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, entry, ct, Permission.DeleteMember, Permission.CreateMember);
            await db.Database.LockAsync(LockScope.Members, project.Id, ct);   // PostgreSQL: one guard at a time per project
            UserMembership membership = await FindUserMembershipAsync(db, project, projectId, userId, ct);
            entry.With("previousRole", membership.Role.ToWire());
            await LastAdminGuard.CheckAsync(db, project, membership.Role, role, ct);
            membership.Role = role;
            await audit.SaveAsync(entry, db, ct);
            await transaction.CommitAsync(ct);
            AuditLog.MarkCommitted(entry);
            string email = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).FirstAsync(ct) ?? "";
            return new MembershipInfo(membership.Id, project.Id, userId, email, role, membership.CreatedAt);
        });
    }

    private Task<MembershipInfo> RemoveIdentityAsync(Actor actor, string projectId, Guid identityId, bool keepAnAdmin, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.RemoveIdentityMembership).With("targetIdentityId", identityId.ToString());
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(ct);   // a guard's admin count and the delete are one step
            (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, entry, ct, Permission.DeleteIdentityMembership);
            await db.Database.LockAsync(LockScope.Members, project.Id, ct);   // PostgreSQL: one guard at a time per project
            IdentityMembership membership = await FindIdentityMembershipAsync(db, project, projectId, identityId, ct);
            entry.With("role", membership.Role.ToWire());
            if (keepAnAdmin)
            {
                await LastAdminGuard.CheckAsync(db, project, membership.Role, newRole: null, ct);
            }

            string name = await db.Identities.Where(i => i.Id == identityId).Select(i => i.Name).FirstAsync(ct);
            db.IdentityMemberships.Remove(membership);
            await audit.SaveAsync(entry, db, ct);
            await transaction.CommitAsync(ct);
            AuditLog.MarkCommitted(entry);
            return new MembershipInfo(membership.Id, project.Id, identityId, name, membership.Role, membership.CreatedAt);
        });
    }

    private Task<MembershipInfo> RemoveUserAsync(Actor actor, string projectId, Guid userId, bool keepAnAdmin, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.RemoveUserMembership).With("targetUserId", userId.ToString());
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(ct);   // a guard's admin count and the delete are one step
            (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, entry, ct, Permission.DeleteMember);
            await db.Database.LockAsync(LockScope.Members, project.Id, ct);   // PostgreSQL: one guard at a time per project
            UserMembership membership = await FindUserMembershipAsync(db, project, projectId, userId, ct);
            entry.With("role", membership.Role.ToWire());
            if (keepAnAdmin)
            {
                await LastAdminGuard.CheckAsync(db, project, membership.Role, newRole: null, ct);
            }

            string email = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).FirstAsync(ct) ?? "";
            db.UserMemberships.Remove(membership);
            await audit.SaveAsync(entry, db, ct);
            await transaction.CommitAsync(ct);
            AuditLog.MarkCommitted(entry);
            return new MembershipInfo(membership.Id, project.Id, userId, email, membership.Role, membership.CreatedAt);
        });
    }

    private static async Task<IdentityMembership> FindIdentityMembershipAsync(KmsDbContext db, Project project, string projectId, Guid identityId, CancellationToken ct) =>
        await db.IdentityMemberships.FirstOrDefaultAsync(m => m.ProjectId == project.Id && m.IdentityId == identityId, ct)
        ?? throw new KmsNotFoundException($"Identity with ID \"{identityId}\" is not a member of project with ID \"{projectId}\"");

    private static async Task<UserMembership> FindUserMembershipAsync(KmsDbContext db, Project project, string projectId, Guid userId, CancellationToken ct) =>
        await db.UserMemberships.FirstOrDefaultAsync(m => m.ProjectId == project.Id && m.UserId == userId, ct)
        ?? throw new KmsNotFoundException($"User with ID \"{userId}\" is not a member of project with ID \"{projectId}\"");

    private async Task SaveOrThrowAsync(KmsDbContext db, AuditEntry entry, KmsException onConflict, CancellationToken ct)
    {
        try
        {
            await audit.SaveAsync(entry, db, ct);
        }
        catch (DbUpdateException)
        {
            throw onConflict;   // lost a race with a concurrent add of the same member
        }
    }
}
