using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Organizations;

/// <summary>First-run set-up (spec §8.5): the first user, the organization and the instance-admin identity.</summary>
public sealed class BootstrapService(
    IDbContextFactory<KmsDbContext> dbFactory, IPasswordHasher<KmsUser> passwordHasher, AuditLog audit, TimeProvider clock)
{
    // Serialises bootstraps inside this process; the transaction below does it across processes.
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public async Task<bool> IsSetUpAsync(CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.AnyAsync(ct);
    }

    /// <summary>The display name of an organization (the app bar shows it).</summary>
    public async Task<string?> OrganizationNameAsync(Guid organizationId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.Name).FirstOrDefaultAsync(ct);
    }

    /// <remarks>The returned token is the only copy: it is stored hashed and has organization-admin rights.</remarks>
    /// <remarks>
    /// Recorded as <c>bootstrap-instance</c>: the success as the first record of the new organization's chain,
    /// a refusal in the existing organization's chain.
    /// </remarks>
    public async Task<BootstrapResult> BootstrapAsync(string email, string password, string organizationName, RequestOrigin origin, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(new AuditActor("user", null, email), Guid.Empty, origin, AuditEventTypes.BootstrapInstance);
        await Gate.WaitAsync(ct);
        try
        {
            return await audit.RunAsync(entry, () => CreateInstanceAsync(entry, email, password, organizationName, ct));
        }
        finally
        {
            Gate.Release();
        }
    }

    private async Task<BootstrapResult> CreateInstanceAsync(AuditEntry entry, string email, string password, string organizationName, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Database.LockAsync(LockScope.Instance, Guid.Empty, ct);   // PostgreSQL: instances racing to set up wait here
        if (await db.Users.AnyAsync(ct))
        {
            Guid existing = await db.InstanceOrganizationIdAsync(ct);
            if (existing != Guid.Empty)
            {
                entry.ActingAs(entry.Actor, existing).TargetOrganization();
            }

            throw new KmsBadRequestException("Instance has already been set up");
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        var org = new Organization
        {
            Id = Guid.CreateVersion7(),
            Name = organizationName,
            Slug = SlugRule.Slugify(organizationName, 32, "organization"),
            CreatedAt = now,
            UpdatedAt = now,
        };
        KmsUser user = KmsUser.Create(email, org.Id, OrgRole.Admin, now);
        user.PasswordHash = passwordHasher.HashPassword(user, password);
        var identity = new MachineIdentity
        {
            Id = Guid.CreateVersion7(),
            OrganizationId = org.Id,
            Name = "instance-admin",
            OrgRole = OrgRole.Admin,
            HasTokenAuth = true,
            CreatedAt = now,
            UpdatedAt = now,
        };
        string token = Secrets.NewAccessToken();
        db.Organizations.Add(org);
        db.Users.Add(user);
        db.Identities.Add(identity);
        db.AccessTokens.Add(new AccessToken
        {
            Id = Guid.CreateVersion7(),
            IdentityId = identity.Id,
            TokenHash = Secrets.Hash(token),
            IsBootstrap = true,
            CreatedAt = now,
        });
        entry.ActingAs(new AuditActor("user", user.Id, email), org.Id).TargetOrganization();
        await audit.SaveAsync(entry, db, ct);
        await transaction.CommitAsync(ct);
        AuditLog.MarkCommitted(entry);
        return new BootstrapResult(user, org, identity, token);
    }
}

public sealed record BootstrapResult(KmsUser User, Organization Organization, MachineIdentity Identity, string Token)
{
    public override string ToString() => $"BootstrapResult(org {Organization.Id})";   // never the token
}
