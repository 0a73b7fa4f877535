using System.Net;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Auth;

/// <summary>Universal Auth login, access-token checks, renewal and revocation (spec §8.1–§8.4).</summary>
public sealed class TokenService(IDbContextFactory<KmsDbContext> dbFactory, LoginRateLimiter limiter, TimeProvider clock)
{
    /// <summary>Logs in; every credential failure is the same 401 so nothing reveals whether a client ID exists.</summary>
    public async Task<TokenGrant> LoginAsync(string clientId, string clientSecret, IPAddress? clientIp, CancellationToken ct)
    {
        string ipKey = clientIp?.ToString() ?? "unknown";
        if (limiter.RetryAfterSeconds(ipKey) is { } retryAfter)
        {
            throw new KmsRateLimitException(retryAfter);
        }

        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        UniversalAuthConfig? ua = Guid.TryParse(clientId, out Guid cid)
            ? await db.UniversalAuths.AsNoTracking().FirstOrDefaultAsync(u => u.ClientId == cid, ct)
            : null;
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
            limiter.RecordFailure(ipKey);
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
        await db.SaveChangesAsync(ct);
        return new TokenGrant(token, ua.AccessTokenTtl, ua.AccessTokenMaxTtl, ua.IdentityId);
    }

    /// <summary>Resolves a bearer token to its identity, with the identity's current roles.</summary>
    public async Task<Actor> AuthenticateAsync(string token, IPAddress? clientIp, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        (AccessToken row, MachineIdentity identity, UniversalAuthConfig? ua) = await ValidTokenAsync(db, token, ct);
        CheckTrustedIp(row, ua, clientIp);
        return new Actor(ActorType.Identity, identity.Id, identity.Name, identity.OrganizationId, identity.OrgRole);
    }

    /// <summary>Extends a token to min(now + TTL, issue + max TTL); the token string stays the same.</summary>
    public async Task<TokenGrant> RenewAsync(string token, IPAddress? clientIp, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        (AccessToken row, MachineIdentity identity, UniversalAuthConfig? ua) = await ValidTokenAsync(db, token, ct);
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
    }

    public async Task<Guid> RevokeAsync(string token, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        (AccessToken row, MachineIdentity identity, _) = await ValidTokenAsync(db, token, ct);
        await db.AccessTokens.Where(t => t.Id == row.Id).ExecuteUpdateAsync(u => u.SetProperty(t => t.IsRevoked, true), ct);
        return identity.Id;
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

/// <summary>An issued or renewed token. <see cref="ExpiresIn"/> and <see cref="MaxTtl"/> are 0 for bootstrap tokens.</summary>
public sealed record TokenGrant(string AccessToken, long ExpiresIn, long MaxTtl, Guid IdentityId)
{
    public override string ToString() => $"TokenGrant(identity {IdentityId}, expiresIn {ExpiresIn})";   // never the token
}
