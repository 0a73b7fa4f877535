using InfisicalKms.Core.Access;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Keys;

/// <summary>Rotation, versions, rotation schedules and export (spec §7.13, §7.14, §7.16, §10.1, §10.2).</summary>
public sealed class KeyLifecycleService(IDbContextFactory<KmsDbContext> dbFactory, EnvelopeEncryptor envelope, TimeProvider clock)
{
    public const string SignVerifyRotationMessage =
        "Only encrypt-decrypt keys support rotation. Rotate sign-verify keys manually by creating a new key and updating your applications to use it.";

    public async Task<KmsKey> RotateAsync(Actor actor, KeyRef keyRef, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, ct, [Permission.RotateKey], disabledCheck: true);
        if (key.Usage == KeyUsage.SignVerify)
        {
            throw new KmsBadRequestException(SignVerifyRotationMessage);
        }

        // Fresh RSA material is never generated here (sign-verify keys do not rotate), so no Task.Run is needed.
        return (await KeyRotation.RotateAsync(db, envelope, key.Id, clock.GetUtcNow().UtcDateTime, onlyIfDue: false, ct))!;
    }

    /// <summary>Every version, newest first (spec §10.1).</summary>
    public async Task<IReadOnlyList<KeyVersionInfo>> ListVersionsAsync(Actor actor, KeyRef keyRef, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, ct, [Permission.ReadKey]);
        var versions = await db.KeyVersions.AsNoTracking().Where(v => v.KeyId == key.Id)
            .OrderByDescending(v => v.Version).Select(v => new { v.Version, v.CreatedAt }).ToListAsync(ct);
        return versions.Select(v => new KeyVersionInfo(v.Version, v.CreatedAt, v.Version == key.Version)).ToList();
    }

    /// <summary>Turns scheduled rotation on (every <paramref name="intervalDays"/> days from now) or off (spec §10.2).</summary>
    public async Task<KmsKey> SetRotationScheduleAsync(Actor actor, KeyRef keyRef, bool enabled, int? intervalDays, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, ct, [Permission.EditKey, Permission.RotateKey], tracked: true);
        if (key.Usage == KeyUsage.SignVerify)
        {
            throw new KmsBadRequestException(SignVerifyRotationMessage);
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        key.RotationEnabled = enabled;
        key.RotationIntervalDays = intervalDays ?? key.RotationIntervalDays;
        key.NextRotationAt = enabled ? now.AddDays(key.RotationIntervalDays!.Value) : null;
        key.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return key;
    }

    /// <summary>The current version's material in Infisical's export format (spec §6.11), for exportable keys only.</summary>
    public async Task<byte[]> ExportAsync(Actor actor, KeyRef keyRef, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, ct, [Permission.ExportKey], disabledCheck: true);
        if (!key.IsExportable)
        {
            throw new KmsBadRequestException("You are not allowed to export this key");
        }

        return (await ExportMaterialAsync(db, key, ct)).PrivateKey;
    }

    /// <summary>All or nothing, in request order: the first key that fails any check fails the call (spec §7.16).</summary>
    public async Task<IReadOnlyList<ExportedKey>> BulkExportAsync(Actor actor, IReadOnlyList<KeyRef> keyRefs, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        var exported = new List<ExportedKey>();
        foreach (KeyRef keyRef in keyRefs)
        {
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, ct, [Permission.ExportKey]);
            if (key.IsDisabled)
            {
                throw new KmsBadRequestException($"Key with ID \"{keyRef.AsSent}\" is disabled");
            }

            if (!key.IsExportable)
            {
                throw new KmsBadRequestException($"You are not allowed to export key with ID \"{keyRef.AsSent}\"");
            }

            exported.Add(await ExportMaterialAsync(db, key, ct));
        }

        return exported;
    }

    private async Task<ExportedKey> ExportMaterialAsync(KmsDbContext db, KmsKey key, CancellationToken ct)
    {
        KeyVersion current = await db.KeyVersions.AsNoTracking().FirstAsync(v => v.KeyId == key.Id && v.Version == key.Version, ct);
        using KeyMaterial material = envelope.Unwrap(key.Id, current.Version, current.WrappedMaterial);
        return new ExportedKey(key, PrivateKeyPem.Export(key.Algorithm, material.Span), current.PublicKey);
    }
}

public sealed record KeyVersionInfo(int Version, DateTime CreatedAt, bool IsCurrent);

/// <summary>Exported material: the caller must not log it and should drop it as soon as it is sent.</summary>
public sealed record ExportedKey(KmsKey Key, byte[] PrivateKey, byte[]? PublicKey)
{
    public override string ToString() => $"ExportedKey({Key.Id})";   // never the material
}
