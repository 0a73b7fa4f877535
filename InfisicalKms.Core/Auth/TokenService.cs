using System.Net;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Caching;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Auth;

/// <summary>Universal Auth login, access-token checks, renewal and revocation (spec §8.1–§8.4).</summary>
public sealed class TokenService(
    IDbContextFactory<KmsDbContext> dbFactory, ILoginRateLimiter limiter, AuditLog audit, TimeProvider clock, CacheGenerations generations, KmsCacheSettings cacheSettings,
    CacheStatistics cacheStatistics)
{
    /// <summary>Checked tokens by the base64 of their SHA-256, never by the token itself.</summary>
    private readonly GenerationalCache<string, CheckedToken> _tokens = new(generations, CacheScopes.Tokens, cacheSettings.Tokens, cacheStatistics.For("tokens"));

    /// <summary>The actor of a credential that matched nothing (spec §10.7.4).</summary>
    private static readonly AuditActor UnknownIdentity = new("identity", null, "");

    /// <summary>Logs in; every credential failure is the same 401 so nothing reveals whether a client ID exists.</summary>
    /// <remarks>Every attempt is recorded in the organization chain, with the client ID as sent (never the secret).</remarks>
    public async Task<TokenGrant> LoginAsync(string clientId, string clientSecret, IPAddress? clientIp, RequestOrigin origin, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        UniversalAuthConfig? ua = Uuids.TryParse(clientId, out Guid cid)
            ? await db.UniversalAuths.AsNoTracking().FirstOrDefaultAsync(u => u.ClientId == cid, ct)
            : null;
        MachineIdentity? owner = ua is null ? null : await db.Identities.AsNoTracking().FirstOrDefaultAsync(i => i.Id == ua.IdentityId, ct);
        AuditEntry entry = await OrganizationEntryAsync(db, owner, origin, AuditEventTypes.LoginUniversalAuth, ct);
        entry.With("clientId", clientId);
        return await audit.RunAsync(entry, async () =>
        {
            // Holds this login's place in the address's count until it has succeeded or been counted as failed.
            await using ILoginAttempt attempt = await limiter.BeginAsync(clientIp?.ToString() ?? "unknown", ct);

            DateTime now = clock.GetUtcNow().UtcDateTime;
            byte[] presented = Secrets.Hash(clientSecret);
            ClientSecret? secret = null;
            if (ua is not null)
            {
                List<ClientSecret> candidates = await db.ClientSecrets.AsNoTracking()
                    .Where(s => s.UniversalAuthId == ua.Id && !s.IsRevoked).ToListAsync(ct);
                secret = candidates.FirstOrDefault(s => Secrets.HashEquals(s.SecretHash, presented)
                    && (s.Ttl <= 0 || s.CreatedAt.AddSeconds(s.Ttl) > now));
            }

            // Counting the use is the exhaustion check too, atomically: a secret at its limit updates no row.
            bool counted = secret is not null && await db.ClientSecrets
                .Where(s => s.Id == secret.Id && (s.NumUsesLimit <= 0 || s.NumUses < s.NumUsesLimit))
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.NumUses, s => s.NumUses + 1), ct) == 1;
            if (!counted || ua is null)
            {
                attempt.Failed();
                throw new KmsUnauthorizedException("Invalid credentials");
            }

            if (!TrustedIpRange.Split(ua.ClientSecretTrustedIps).Any(r => r.Contains(clientIp)))
            {
                throw new KmsForbiddenException();
            }

            string token = Secrets.NewAccessToken();
            db.AccessTokens.Add(new AccessToken
            {
                Id = Guid.CreateVersion7(),
                IdentityId = ua.IdentityId,
                TokenHash = Secrets.Hash(token),
                CreatedAt = now,
                ExpiresAt = now.AddSeconds(ua.AccessTokenTtl),
                MaxExpiresAt = now.AddSeconds(ua.AccessTokenMaxTtl),
            });
            await audit.SaveAsync(entry, db, ct);
            return new TokenGrant(token, ua.AccessTokenTtl, ua.AccessTokenMaxTtl, ua.IdentityId);
        });
    }

    /// <summary>Resolves a bearer token to its identity, with the identity's current roles.</summary>
    /// <summary>
    /// The caller a bearer token names. A warm check reads no storage: the token's row, identity and
    /// trusted IPs are cached, and its expiry is checked against the clock on every request.
    /// </summary>
    public async Task<Actor> AuthenticateAsync(string token, IPAddress? clientIp, RequestOrigin origin, CancellationToken ct)
    {
        string cacheKey = Convert.ToBase64String(Secrets.Hash(token));
        if (_tokens.TryGet(cacheKey, out CheckedToken checkedToken))
        {
            if (checkedToken.ExpiresAt is { } expires && expires <= clock.GetUtcNow().UtcDateTime)
            {
                throw KmsUnauthorizedException.TokenExpired();
            }
        }
        else
        {
            long generation = _tokens.Generation;
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            (AccessToken row, MachineIdentity identity, UniversalAuthConfig? ua) = await ValidTokenAsync(db, token, ct);
            checkedToken = new CheckedToken(
                new Actor(ActorType.Identity, identity.Id, identity.Name, identity.OrganizationId, identity.OrgRole),
                row.ExpiresAt,
                row.IsBootstrap ? null : ua is null ? [] : TrustedIpRange.Split(ua.AccessTokenTrustedIps));
            _tokens.Set(cacheKey, checkedToken, generation);
        }

        // A universal-auth token whose configuration is gone has no trusted IPs: it fails closed.
        if (checkedToken.TrustedIps is { } ranges && !ranges.Any(r => r.Contains(clientIp)))
        {
            throw new KmsForbiddenException();
        }

        return checkedToken.Actor with { Origin = origin };
    }

    /// <summary>Extends a token to min(now + TTL, issue + max TTL); the token string stays the same.</summary>
    public Task<TokenGrant> RenewAsync(string token, IPAddress? clientIp, RequestOrigin origin, CancellationToken ct) =>
        WithTokenAsync(token, origin, AuditEventTypes.RenewAccessToken, ct, async (db, row, identity, ua) =>
        {
            CheckTrustedIp(row, ua, clientIp);
            if (row.IsBootstrap || ua is null)
            {
                return new TokenGrant(token, 0, 0, identity.Id);
            }

            DateTime now = clock.GetUtcNow().UtcDateTime;
            DateTime renewed = now.AddSeconds(ua.AccessTokenTtl);
            DateTime expiry = row.MaxExpiresAt is { } max && max < renewed ? max : renewed;
            await db.AccessTokens.Where(t => t.Id == row.Id).ExecuteUpdateAsync(u => u.SetProperty(t => t.ExpiresAt, expiry), ct);
            return new TokenGrant(token, (long)Math.Floor((expiry - now).TotalSeconds), ua.AccessTokenMaxTtl, identity.Id);
        });

    public Task<Guid> RevokeAsync(string token, RequestOrigin origin, CancellationToken ct) =>
        WithTokenAsync(token, origin, AuditEventTypes.RevokeAccessToken, ct, async (db, row, identity, _) =>
        {
            await db.AccessTokens.Where(t => t.Id == row.Id).ExecuteUpdateAsync(u => u.SetProperty(t => t.IsRevoked, true), ct);
            return identity.Id;
        });

    /// <summary>Renew and revoke: the token in the body is the credential; every attempt is recorded, failures as the unknown identity.</summary>
    private async Task<T> WithTokenAsync<T>(
        string token, RequestOrigin origin, string eventType, CancellationToken ct,
        Func<KmsDbContext, AccessToken, MachineIdentity, UniversalAuthConfig?, Task<T>> operation)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        AuditEntry entry = await OrganizationEntryAsync(db, owner: null, origin, eventType, ct);
        return await audit.RunAsync(entry, async () =>
        {
            (AccessToken row, MachineIdentity identity, UniversalAuthConfig? ua) = await ValidTokenAsync(db, token, ct);
            entry.ActingAs(new AuditActor("identity", identity.Id, identity.Name), identity.OrganizationId).TargetOrganization();
            return await operation(db, row, identity, ua);
        });
    }

    /// <summary>
    /// An organization-chain entry for a credential check. Before the credential names an identity the
    /// record goes to the instance's organization; before set-up there is none, and nothing is recorded.
    /// </summary>
    private async Task<AuditEntry> OrganizationEntryAsync(KmsDbContext db, MachineIdentity? owner, RequestOrigin origin, string eventType, CancellationToken ct)
    {
        if (owner is not null)
        {
            return audit.Entry(new AuditActor("identity", owner.Id, owner.Name), owner.OrganizationId, origin, eventType).TargetOrganization();
        }

        Guid organizationId = await db.InstanceOrganizationIdAsync(ct);
        AuditEntry entry = audit.Entry(UnknownIdentity, organizationId, origin, eventType);
        return organizationId == Guid.Empty ? entry : entry.TargetOrganization();
    }

    private async Task<(AccessToken Token, MachineIdentity Identity, UniversalAuthConfig? Ua)> ValidTokenAsync(KmsDbContext db, string token, CancellationToken ct)
    {
        byte[] hash = Secrets.Hash(token);
        AccessToken? row = await db.AccessTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
        MachineIdentity? identity = row is null ? null : await db.Identities.AsNoTracking().FirstOrDefaultAsync(i => i.Id == row.IdentityId, ct);
        if (row is null || identity is null || row.IsRevoked || !Secrets.HashEquals(row.TokenHash, hash))
        {
            throw KmsUnauthorizedException.InvalidToken();
        }

        if (row.ExpiresAt is { } expires && expires <= clock.GetUtcNow().UtcDateTime)
        {
            throw KmsUnauthorizedException.TokenExpired();
        }

        UniversalAuthConfig? ua = row.IsBootstrap ? null
            : await db.UniversalAuths.AsNoTracking().FirstOrDefaultAsync(u => u.IdentityId == identity.Id, ct);
        return (row, identity, ua);
    }

    private static void CheckTrustedIp(AccessToken row, UniversalAuthConfig? ua, IPAddress? clientIp)
    {
        if (row.IsBootstrap)
        {
            return;
        }

        // A universal-auth token whose configuration is gone fails closed.
        if (ua is null || !TrustedIpRange.Split(ua.AccessTokenTrustedIps).Any(r => r.Contains(clientIp)))
        {
            throw new KmsForbiddenException();
        }
    }
}

/// <summary>A token that passed its checks: who it names, until when, and from where (null: anywhere, the bootstrap token).</summary>
internal sealed record CheckedToken(Actor Actor, DateTime? ExpiresAt, IReadOnlyList<TrustedIpRange>? TrustedIps);

/// <summary>An issued or renewed token. <see cref="ExpiresIn"/> and <see cref="MaxTtl"/> are 0 for bootstrap tokens.</summary>
public sealed record TokenGrant(string AccessToken, long ExpiresIn, long MaxTtl, Guid IdentityId)
{
    public override string ToString() => $"TokenGrant(identity {IdentityId}, expiresIn {ExpiresIn})";   // never the token
}
