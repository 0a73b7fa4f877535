using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Caching;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Keys;

/// <summary>
/// The one path from a key ID to an operation on its material, for encrypt, decrypt, sign, verify, MAC,
/// data keys, re-wrapping and their batches: the checks K2–K5 of spec §2.6, the order of versions of
/// §6.4, and the caches behind them.
/// </summary>
/// <remarks>
/// A warm operation does no storage I/O: the key's row and current version, the caller's role in the
/// key's project, the unwrapped material and the parsed RSA or EC key are all in memory. Every cached row
/// is read under its <see cref="CacheGenerations"/> counter, so a change (a disabled, rotated or deleted
/// key, a removed member, a changed role) is seen by the very next request.
/// </remarks>
public sealed class KeyRing : IDisposable
{
    private readonly IDbContextFactory<KmsDbContext> _dbFactory;
    private readonly EnvelopeEncryptor _envelope;
    private readonly KeyMaterialCache _materials;
    private readonly GenerationalCache<Guid, UsableKey> _keys;
    private readonly GenerationalCache<(ActorType, Guid, Guid), ProjectRole> _roles;

    public KeyRing(
        IDbContextFactory<KmsDbContext> dbFactory, EnvelopeEncryptor envelope, KeyMaterialCache materials, CacheGenerations generations,
        KmsCacheSettings settings, CacheStatistics statistics)
    {
        _dbFactory = dbFactory;
        _envelope = envelope;
        _materials = materials;
        _keys = new GenerationalCache<Guid, UsableKey>(generations, CacheScopes.Keys, settings.Keys, statistics.For("keys"));
        _roles = new GenerationalCache<(ActorType, Guid, Guid), ProjectRole>(generations, CacheScopes.Roles, settings.Roles, statistics.For("roles"));
    }

    /// <summary>Entries held now, for the README's memory figures and the tests.</summary>
    public (int Keys, int Roles, int Materials) Counts => (_keys.Count, _roles.Count, _materials.Count);

    /// <summary>
    /// Finds the key, resolves the caller's role in the key's own project, then checks the permissions, the
    /// disabled flag and the usage, in that order (K2–K5). Unknown keys and keys the caller cannot see are
    /// the same 404.
    /// </summary>
    /// <param name="audit">The operation's record: once the key is resolved it names the key, and the operation is recorded whatever happens next.</param>
    public async Task<UsableKey> ResolveAsync(Actor actor, KeyRef keyRef, AuditEntry? audit, Permission[] permissions, KeyUsage? usage, CancellationToken ct)
    {
        UsableKey? key = await KeyAsync(keyRef.Id, ct);
        ProjectRole? role = key is null ? null : await RoleAsync(actor, key.ProjectId, key.OrganizationId, ct);
        if (key is null || role is null)
        {
            throw KmsNotFoundException.Key(keyRef.AsSent);
        }

        if (audit is not null)
        {
            audit.Target(key.ProjectId, key.Id);
            audit.KeyAlgorithm = key.Algorithm.ToWire();
        }

        ProjectAccess.Demand(role.Value, permissions);
        if (key.IsDisabled)
        {
            throw new KeyDisabledException();
        }

        if (usage is { } expected && key.Usage != expected)
        {
            throw new KmsBadRequestException($"Unsupported key type, expected {expected.ToWire()} but got {key.Usage.ToWire()}");
        }

        return key;
    }

    /// <summary>
    /// The key as the cryptographic paths need it, from the cache, with no access check: for callers that check
    /// access their own way (KMIP clients are scoped to one project). Null when there is no such key.
    /// </summary>
    public Task<UsableKey?> FindAsync(Guid keyId, CancellationToken ct) => KeyAsync(keyId, ct);

    /// <summary>The material of the key's current version.</summary>
    public KeyLease Current(UsableKey key) =>
        _materials.Lease(key.Id, key.Version, () => _envelope.Unwrap(key.Id, key.Version, key.WrappedMaterial));

    /// <summary>Signs with the current version, with a parsed key from the cache.</summary>
    public byte[] Sign(UsableKey key, SignRequest request)
    {
        KeyAlgorithmRules.CheckSigning(key.Algorithm, request.Algorithm, request.IsDigest, request.Data.Length, signing: true);
        using KeyLease lease = Current(key);
        bool rsa = request.Algorithm.IsRsa();
        return lease.WithParsed(span => AsymmetricSigner.ParsePrivateKey(span, rsa), parsed => AsymmetricSigner.Sign(parsed, request.Algorithm, request.Data, request.IsDigest));
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> on versions in the order of spec §6.4 until one succeeds: the version
    /// named by the ciphertext (if any), the current version, then every other version newest first (read
    /// only when the first two fail). Null when none does.
    /// </summary>
    public async Task<(T Result, int Version)?> FirstVersionAsync<T>(UsableKey key, uint? named, Func<KeyLease, T?> attempt, CancellationToken ct)
        where T : class
    {
        var tried = new HashSet<int>();
        int? first = named is { } v and >= 1 and <= int.MaxValue ? (int)v : null;
        foreach (int version in first is { } f ? [f, key.Version] : new[] { key.Version })
        {
            if (tried.Add(version) && await TryVersionAsync(key, version, attempt, ct) is { } result)
            {
                return (result, version);
            }
        }

        await using KmsDbContext db = await _dbFactory.CreateDbContextAsync(ct);
        List<int> older = await db.KeyVersions.AsNoTracking().Where(r => r.KeyId == key.Id)
            .OrderByDescending(r => r.Version).Select(r => r.Version).ToListAsync(ct);
        foreach (int version in older.Where(tried.Add))
        {
            if (await TryVersionAsync(key, version, attempt, ct) is { } result)
            {
                return (result, version);
            }
        }

        return null;
    }

    public void Dispose()
    {
        _keys.Dispose();
        _roles.Dispose();
    }

    private async Task<T?> TryVersionAsync<T>(UsableKey key, int version, Func<KeyLease, T?> attempt, CancellationToken ct)
        where T : class
    {
        KeyLease? lease = version == key.Version ? Current(key) : _materials.TryLease(key.Id, version);
        if (lease is null)
        {
            await using KmsDbContext db = await _dbFactory.CreateDbContextAsync(ct);
            KeyVersion? row = await db.KeyVersions.AsNoTracking().FirstOrDefaultAsync(r => r.KeyId == key.Id && r.Version == version, ct);
            if (row is null)
            {
                return null;
            }

            lease = _materials.Lease(key.Id, version, () => _envelope.Unwrap(key.Id, row.Version, row.WrappedMaterial));
        }

        using KeyLease held = lease.Value;
        return attempt(held);
    }

    private async Task<UsableKey?> KeyAsync(Guid id, CancellationToken ct)
    {
        if (_keys.TryGet(id, out UsableKey cached))
        {
            return cached;
        }

        long generation = _keys.Generation;
        await using KmsDbContext db = await _dbFactory.CreateDbContextAsync(ct);
        KmsKey? key = await db.Keys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, ct);
        KeyVersion? current = key is null ? null
            : await db.KeyVersions.AsNoTracking().FirstOrDefaultAsync(v => v.KeyId == key.Id && v.Version == key.Version, ct);
        if (key is null || current is null)
        {
            return null;
        }

        var usable = new UsableKey(key.Id, key.ProjectId, key.OrganizationId, key.Usage, key.Algorithm, key.IsDisabled, key.Version, current.WrappedMaterial, current.PublicKey);
        _keys.Set(id, usable, generation);
        return usable;
    }

    private async Task<ProjectRole?> RoleAsync(Actor actor, Guid projectId, Guid organizationId, CancellationToken ct)
    {
        if (organizationId != actor.OrganizationId || actor.IsOrgAdmin)
        {
            return organizationId != actor.OrganizationId ? null : ProjectRole.Admin;
        }

        (ActorType, Guid, Guid) cacheKey = (actor.Type, actor.Id, projectId);
        if (_roles.TryGet(cacheKey, out ProjectRole cached))
        {
            return cached;
        }

        long generation = _roles.Generation;
        await using KmsDbContext db = await _dbFactory.CreateDbContextAsync(ct);
        ProjectRole? role = await ProjectAccess.EffectiveRoleAsync(db, actor, projectId, organizationId, ct);
        if (role is { } found)
        {
            _roles.Set(cacheKey, found, generation);   // a missing membership is never cached
        }

        return role;
    }
}

/// <summary>A key as the cryptographic routes need it: its row and its current version, read together.</summary>
/// <remarks>Holds the wrapped material only; <see cref="ToString"/> never shows it.</remarks>
public sealed record UsableKey(
    Guid Id, Guid ProjectId, Guid OrganizationId, KeyUsage Usage, KeyAlgorithm Algorithm, bool IsDisabled, int Version,
    byte[] WrappedMaterial, byte[]? PublicKey)
{
    public override string ToString() => $"UsableKey({Id}, v{Version}, {Algorithm})";
}
