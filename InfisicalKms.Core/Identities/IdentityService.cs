using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Identities;

/// <summary>Machine identities, Universal Auth and client secrets (spec §8.7–§8.9). Organization admins only.</summary>
public sealed class IdentityService(IDbContextFactory<KmsDbContext> dbFactory, AuditLog audit, TimeProvider clock)
{
    public Task<IdentityInfo> CreateAsync(Actor actor, CreateIdentityRequest request, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.CreateIdentity);
        return audit.RunAsync(entry, async () =>
        {
            RequireOrg(actor, request.OrganizationId);
            entry.TargetOrganization();
            RequireAdmin(actor, "create");
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            DateTime now = clock.GetUtcNow().UtcDateTime;
            var identity = new MachineIdentity
            {
                Id = Guid.CreateVersion7(),
                OrganizationId = actor.OrganizationId,
                Name = request.Name,
                OrgRole = request.Role,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Identities.Add(identity);
            entry.With("targetIdentityId", identity.Id.ToString());
            await audit.SaveAsync(entry, db, ct);
            return new IdentityInfo(identity, HasUniversalAuth: false);
        });
    }

    public async Task<IReadOnlyList<IdentityInfo>> ListAsync(Actor actor, string organizationId, CancellationToken ct)
    {
        RequireOrg(actor, organizationId);
        RequireAdmin(actor, "read");
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Identities.AsNoTracking().Where(i => i.OrganizationId == actor.OrganizationId)
            .Select(i => new { Identity = i, HasUa = db.UniversalAuths.Any(u => u.IdentityId == i.Id) })
            .ToListAsync(ct);
        return rows.OrderBy(r => r.Identity.Name, StringComparer.Ordinal).ThenBy(r => r.Identity.Id)
            .Select(r => new IdentityInfo(r.Identity, r.HasUa)).ToList();
    }

    /// <summary>One identity of the caller's organization (the web interface's details view); read on identity.</summary>
    public async Task<IdentityInfo> GetAsync(Actor actor, string identityId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        MachineIdentity identity = await FindAsync(db, actor, identityId, "read", audit: null, ct);
        return new IdentityInfo(identity, await db.UniversalAuths.AnyAsync(u => u.IdentityId == identity.Id, ct));
    }

    /// <summary>The projects an identity is a member of, with its role in each, by project name; read on identity.</summary>
    public async Task<IReadOnlyList<IdentityProject>> ListProjectsAsync(Actor actor, string identityId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        MachineIdentity identity = await FindAsync(db, actor, identityId, "read", audit: null, ct);
        List<IdentityProject> projects = await db.IdentityMemberships.AsNoTracking().Where(m => m.IdentityId == identity.Id)
            .Join(db.Projects, m => m.ProjectId, p => p.Id, (m, p) => new IdentityProject(p.Id, p.Name, m.Role, m.CreatedAt))
            .ToListAsync(ct);
        return projects.OrderBy(p => p.ProjectName, StringComparer.Ordinal).ThenBy(p => p.ProjectId).ToList();
    }

    /// <summary>Deletes the identity with its auth, secrets, memberships and tokens (cascade), revoking every token.</summary>
    public Task<IdentityInfo> DeleteAsync(Actor actor, string identityId, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.DeleteIdentity);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            MachineIdentity identity = await FindAsync(db, actor, identityId, "delete", entry, ct);
            bool hasUa = await db.UniversalAuths.AnyAsync(u => u.IdentityId == identity.Id, ct);
            db.Identities.Remove(identity);
            await audit.SaveAsync(entry, db, ct);
            return new IdentityInfo(identity, hasUa);
        });
    }

    public Task<UniversalAuthConfig> AttachUniversalAuthAsync(Actor actor, string identityId, AttachUniversalAuthRequest request, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.AddUniversalAuth);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            MachineIdentity identity = await FindAsync(db, actor, identityId, "edit", entry, ct);
            if (request.AccessTokenTtl > request.AccessTokenMaxTtl)
            {
                throw new KmsBadRequestException("Access token TTL cannot be greater than max TTL");
            }

            if (await db.UniversalAuths.AnyAsync(u => u.IdentityId == identity.Id, ct))
            {
                throw new KmsBadRequestException($"Universal auth is already configured for identity with ID \"{identityId}\"");
            }

            DateTime now = clock.GetUtcNow().UtcDateTime;
            var ua = new UniversalAuthConfig
            {
                Id = Guid.CreateVersion7(),
                IdentityId = identity.Id,
                ClientId = Guid.NewGuid(),
                AccessTokenTtl = request.AccessTokenTtl,
                AccessTokenMaxTtl = request.AccessTokenMaxTtl,
                AccessTokenTrustedIps = TrustedIpRange.Join(request.AccessTokenTrustedIps),
                ClientSecretTrustedIps = TrustedIpRange.Join(request.ClientSecretTrustedIps),
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.UniversalAuths.Add(ua);
            await audit.SaveAsync(entry, db, ct);
            return ua;
        });
    }

    public async Task<UniversalAuthConfig> GetUniversalAuthAsync(Actor actor, string identityId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        MachineIdentity identity = await FindAsync(db, actor, identityId, "read", audit: null, ct);
        return await RequireUaAsync(db, identity, identityId, ct);
    }

    /// <remarks>The secret is returned once and stored hashed; its record names only its ID.</remarks>
    public Task<CreatedClientSecret> CreateClientSecretAsync(Actor actor, string identityId, CreateClientSecretRequest request, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.CreateClientSecret);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            MachineIdentity identity = await FindAsync(db, actor, identityId, "edit", entry, ct);
            UniversalAuthConfig ua = await RequireUaAsync(db, identity, identityId, ct);
            string secret = Secrets.NewClientSecret();
            var data = new ClientSecret
            {
                Id = Guid.CreateVersion7(),
                UniversalAuthId = ua.Id,
                Description = request.Description,
                Prefix = secret[..4],
                SecretHash = Secrets.Hash(secret),
                Ttl = request.Ttl,
                NumUsesLimit = request.NumUsesLimit,
                CreatedAt = clock.GetUtcNow().UtcDateTime,
            };
            db.ClientSecrets.Add(data);
            entry.With("clientSecretId", data.Id.ToString());
            await audit.SaveAsync(entry, db, ct);
            return new CreatedClientSecret(secret, data);
        });
    }

    public async Task<IReadOnlyList<ClientSecret>> ListClientSecretsAsync(Actor actor, string identityId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        MachineIdentity identity = await FindAsync(db, actor, identityId, "read", audit: null, ct);
        UniversalAuthConfig ua = await RequireUaAsync(db, identity, identityId, ct);
        List<ClientSecret> secrets = await db.ClientSecrets.AsNoTracking().Where(s => s.UniversalAuthId == ua.Id).ToListAsync(ct);
        return secrets.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id).ToList();
    }

    public Task<ClientSecret> RevokeClientSecretAsync(Actor actor, string identityId, string clientSecretId, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.RevokeClientSecret).With("clientSecretId", clientSecretId);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            MachineIdentity identity = await FindAsync(db, actor, identityId, "edit", entry, ct);
            UniversalAuthConfig ua = await RequireUaAsync(db, identity, identityId, ct);
            Guid secretId = Guid.Parse(clientSecretId);
            ClientSecret secret = await db.ClientSecrets.FirstOrDefaultAsync(s => s.Id == secretId && s.UniversalAuthId == ua.Id, ct)
                ?? throw new KmsNotFoundException($"Client secret with ID \"{clientSecretId}\" not found");
            secret.IsRevoked = true;
            await audit.SaveAsync(entry, db, ct);
            return secret;
        });
    }

    private static void RequireOrg(Actor actor, string organizationId)
    {
        if (!Uuids.TryParse(organizationId, out Guid orgId) || orgId != actor.OrganizationId)
        {
            throw new KmsNotFoundException($"Organization with ID \"{organizationId}\" not found");
        }
    }

    private static void RequireAdmin(Actor actor, string action)
    {
        if (!actor.IsOrgAdmin)
        {
            throw new KmsPermissionDeniedException(action, Permission.Subjects.Identity);
        }
    }

    /// <summary>An identity of the caller's organization (others are "not found"), then the admin check.</summary>
    /// <param name="audit">Once the identity is found, the operation is recorded in the organization chain, naming it.</param>
    private static async Task<MachineIdentity> FindAsync(KmsDbContext db, Actor actor, string identityId, string action, AuditEntry? audit, CancellationToken ct)
    {
        Guid id = Guid.Parse(identityId);
        MachineIdentity identity = await db.Identities.FirstOrDefaultAsync(i => i.Id == id && i.OrganizationId == actor.OrganizationId, ct)
            ?? throw KmsNotFoundException.Identity(identityId);
        audit?.TargetOrganization().With("targetIdentityId", identity.Id.ToString());
        RequireAdmin(actor, action);
        return identity;
    }

    private static async Task<UniversalAuthConfig> RequireUaAsync(KmsDbContext db, MachineIdentity identity, string identityId, CancellationToken ct) =>
        await db.UniversalAuths.AsNoTracking().FirstOrDefaultAsync(u => u.IdentityId == identity.Id, ct)
        ?? throw new KmsNotFoundException($"Universal auth for identity with ID \"{identityId}\" not found");
}
