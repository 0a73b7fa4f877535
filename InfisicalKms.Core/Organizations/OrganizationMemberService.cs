using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace InfisicalKms.Core.Organizations;

/// <summary>
/// The users of the caller's organization: every member may list them; organization admins invite and remove
/// them. Refusals use subject <c>member</c>, as the project member routes do.
/// </summary>
public sealed class OrganizationMemberService(
    IDbContextFactory<KmsDbContext> dbFactory, IPasswordHasher<KmsUser> passwordHasher, AuditLog audit, TimeProvider clock)
{
    public async Task<IReadOnlyList<OrganizationMember>> ListAsync(Actor actor, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        List<KmsUser> users = await db.Users.AsNoTracking().Where(u => u.OrganizationId == actor.OrganizationId).ToListAsync(ct);
        return users.OrderBy(u => u.Email, StringComparer.Ordinal).ThenBy(u => u.Id).Select(OrganizationMember.From).ToList();
    }

    /// <summary>Creates a user with a generated one-time password that they must change at their first sign-in.</summary>
    /// <param name="email">A valid e-mail address (the caller validates its form); stored trimmed and lower-cased.</param>
    /// <remarks>
    /// The password is returned once, to be handed over out of band; only its hash is stored. Until the user
    /// replaces it, <see cref="KmsUser.MustChangePassword"/> keeps the web interface on the change-password page.
    /// </remarks>
    public Task<InvitedUser> InviteAsync(Actor actor, string email, OrgRole role, CancellationToken ct)
    {
        email = email.Trim().ToLowerInvariant();
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.CreateUser).TargetOrganization()
            .With("email", email).With("role", role == OrgRole.Admin ? "admin" : "member");
        return audit.RunAsync(entry, async () =>
        {
            RequireAdmin(actor, "create");
            var duplicate = new KmsBadRequestException($"A user with email \"{email}\" already exists");
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            string normalized = email.ToUpperInvariant();
            if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, ct))
            {
                throw duplicate;   // e-mail addresses are unique across the instance, not only the organization
            }

            KmsUser user = KmsUser.Create(email, actor.OrganizationId, role, clock.GetUtcNow().UtcDateTime);
            string password = Secrets.NewOneTimePassword();
            user.PasswordHash = passwordHasher.HashPassword(user, password);
            user.MustChangePassword = true;
            db.Users.Add(user);
            entry.With("targetUserId", user.Id.ToString());
            try
            {
                await audit.SaveAsync(entry, db, ct);
            }
            catch (DbUpdateException)
            {
                throw duplicate;   // lost a race with a concurrent invitation (unique user name)
            }

            return new InvitedUser(OrganizationMember.From(user), password);
        });
    }

    /// <summary>Deletes a user's account and, by cascade, all its project memberships.</summary>
    /// <remarks>
    /// Nobody removes themselves (an admin would lock themselves out mid-session), and the organization keeps at
    /// least one admin user: admin machine identities do not count, since they cannot sign in to this interface.
    /// </remarks>
    public Task<OrganizationMember> RemoveAsync(Actor actor, Guid userId, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.DeleteUser).With("targetUserId", userId.ToString());
        return audit.RunAsync(entry, async () =>
        {
            RequireAdmin(actor, "delete");
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(ct);   // the admin count and the delete are one step
            await db.Database.LockAsync(LockScope.Members, actor.OrganizationId, ct);   // PostgreSQL: one guard at a time per organization
            KmsUser user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId && u.OrganizationId == actor.OrganizationId, ct)
                ?? throw new KmsNotFoundException($"User with ID \"{userId}\" not found");
            entry.TargetOrganization().With("email", user.Email ?? "");
            if (actor.Type == ActorType.User && actor.Id == userId)
            {
                throw new KmsBadRequestException("You cannot remove yourself from the organization");
            }

            if (user.OrgRole == OrgRole.Admin
                && await db.Users.CountAsync(u => u.OrganizationId == actor.OrganizationId && u.OrgRole == OrgRole.Admin, ct) <= 1)
            {
                throw new KmsBadRequestException("Cannot remove the last admin of the organization");
            }

            db.Users.Remove(user);
            await audit.SaveAsync(entry, db, ct);
            await transaction.CommitAsync(ct);
            AuditLog.MarkCommitted(entry);
            return OrganizationMember.From(user);
        });
    }

    /// <summary>Whether the user must still replace a one-time password; null when there is no such user (any more).</summary>
    public async Task<bool?> MustChangePasswordAsync(Guid userId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.Where(u => u.Id == userId).Select(u => (bool?)u.MustChangePassword).FirstOrDefaultAsync(ct);
    }

    /// <summary>Called once the signed-in user has changed their password: lifts <see cref="KmsUser.MustChangePassword"/>.</summary>
    public async Task CompletePasswordChangeAsync(Actor actor, CancellationToken ct)
    {
        if (actor.Type != ActorType.User)
        {
            throw new KmsBadRequestException("Only users have passwords");
        }

        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        await db.Users.Where(u => u.Id == actor.Id && u.MustChangePassword)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.MustChangePassword, false), ct);
    }

    private static void RequireAdmin(Actor actor, string action)
    {
        if (!actor.IsOrgAdmin)
        {
            throw new KmsPermissionDeniedException(action, Permission.Subjects.Member);
        }
    }
}
