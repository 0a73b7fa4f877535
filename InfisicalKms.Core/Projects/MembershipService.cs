using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

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

    public Task<MembershipInfo> RemoveIdentityAsync(Actor actor, string projectId, Guid identityId, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.RemoveIdentityMembership).With("targetIdentityId", identityId.ToString());
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, entry, ct, Permission.DeleteIdentityMembership);
            IdentityMembership membership = await db.IdentityMemberships.FirstOrDefaultAsync(m => m.ProjectId == project.Id && m.IdentityId == identityId, ct)
                ?? throw new KmsNotFoundException($"Identity with ID \"{identityId}\" is not a member of project with ID \"{projectId}\"");
            string name = await db.Identities.Where(i => i.Id == identityId).Select(i => i.Name).FirstAsync(ct);
            entry.With("role", membership.Role.ToWire());
            db.IdentityMemberships.Remove(membership);
            await audit.SaveAsync(entry, db, ct);
            return new MembershipInfo(membership.Id, project.Id, identityId, name, membership.Role, membership.CreatedAt);
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

    public Task<MembershipInfo> RemoveUserAsync(Actor actor, string projectId, Guid userId, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.RemoveUserMembership).With("targetUserId", userId.ToString());
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, entry, ct, Permission.DeleteMember);
            UserMembership membership = await db.UserMemberships.FirstOrDefaultAsync(m => m.ProjectId == project.Id && m.UserId == userId, ct)
                ?? throw new KmsNotFoundException($"User with ID \"{userId}\" is not a member of project with ID \"{projectId}\"");
            string email = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).FirstAsync(ct) ?? "";
            entry.With("role", membership.Role.ToWire());
            db.UserMemberships.Remove(membership);
            await audit.SaveAsync(entry, db, ct);
            return new MembershipInfo(membership.Id, project.Id, userId, email, membership.Role, membership.CreatedAt);
        });
    }

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
