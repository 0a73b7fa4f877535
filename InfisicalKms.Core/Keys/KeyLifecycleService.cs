using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Keys;

/// <summary>Rotation, versions, rotation schedules and export (spec §7.13, §7.14, §7.16, §10.1, §10.2).</summary>
public sealed class KeyLifecycleService(IDbContextFactory<KmsDbContext> dbFactory, EnvelopeEncryptor envelope, AuditLog audit, TimeProvider clock)
{
    public const string SignVerifyRotationMessage =
        "Only encrypt-decrypt keys support rotation. Rotate sign-verify keys manually by creating a new key and updating your applications to use it.";

    public Task<KmsKey> RotateAsync(Actor actor, KeyRef keyRef, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.Rotate).With("scheduled", false);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.RotateKey], disabledCheck: true);
            if (key.Usage == KeyUsage.SignVerify)
            {
                throw new KmsBadRequestException(SignVerifyRotationMessage);
            }

            // Fresh RSA material is never generated here (sign-verify keys do not rotate), so no Task.Run is needed.
            return (await KeyRotation.RotateAsync(db, envelope, audit, entry, key.Id, clock.GetUtcNow().UtcDateTime, onlyIfDue: false, ct))!;
        });
    }

    /// <summary>Every version, newest first (spec §10.1).</summary>
    public Task<IReadOnlyList<KeyVersionInfo>> ListVersionsAsync(Actor actor, KeyRef keyRef, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.ListVersions);
        return audit.RunAsync<IReadOnlyList<KeyVersionInfo>>(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.ReadKey]);
            var versions = await db.KeyVersions.AsNoTracking().Where(v => v.KeyId == key.Id)
                .OrderByDescending(v => v.Version).Select(v => new { v.Version, v.CreatedAt }).ToListAsync(ct);
            return versions.Select(v => new KeyVersionInfo(v.Version, v.CreatedAt, v.Version == key.Version)).ToList();
        });
    }

    /// <summary>Turns scheduled rotation on (every <paramref name="intervalDays"/> days from now) or off (spec §10.2).</summary>
    public Task<KmsKey> SetRotationScheduleAsync(Actor actor, KeyRef keyRef, bool enabled, int? intervalDays, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.UpdateRotationSchedule).With("enabled", enabled);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.EditKey, Permission.RotateKey], tracked: true);
            if (key.Usage == KeyUsage.SignVerify)
            {
                throw new KmsBadRequestException(SignVerifyRotationMessage);
            }

            DateTime now = clock.GetUtcNow().UtcDateTime;
            key.RotationEnabled = enabled;
            key.RotationIntervalDays = intervalDays ?? key.RotationIntervalDays;
            key.NextRotationAt = enabled ? now.AddDays(key.RotationIntervalDays!.Value) : null;
            key.UpdatedAt = now;
            if (key.RotationIntervalDays is { } days)
            {
                entry.With("intervalDays", days);
            }

            await audit.SaveAsync(entry, db, ct);
            return key;
        });
    }

    /// <summary>The current version's material in Infisical's export format (spec §6.11), for exportable keys only.</summary>
    public Task<byte[]> ExportAsync(Actor actor, KeyRef keyRef, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.GetPrivateKey).With("bulk", false);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.ExportKey], disabledCheck: true);
            if (!key.IsExportable)
            {
                throw new KmsBadRequestException("You are not allowed to export this key");
            }

            return (await ExportMaterialAsync(db, key, ct)).PrivateKey;
        });
    }

    /// <summary>All or nothing, in request order: the first key that fails any check fails the call (spec §7.16).</summary>
    /// <remarks>
    /// One <c>cmek-get-private-key</c> record per exported key, written before any material is returned; a
    /// call that fails after a key was resolved records one failure without a key (spec §10.7.4).
    /// </remarks>
    public Task<IReadOnlyList<ExportedKey>> BulkExportAsync(Actor actor, IReadOnlyList<KeyRef> keyRefs, CancellationToken ct)
    {
        AuditEntry request = audit.Entry(actor, AuditEventTypes.GetPrivateKey).With("bulk", true);
        return audit.RunAsync<IReadOnlyList<ExportedKey>>(request, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            var exported = new List<ExportedKey>();
            var records = new List<AuditEntry>();
            foreach (KeyRef keyRef in keyRefs)
            {
                AuditEntry record = audit.Entry(actor, AuditEventTypes.GetPrivateKey).With("bulk", true);
                KmsKey key;
                try
                {
                    key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, record, ct, [Permission.ExportKey]);
                }
                finally
                {
                    if (record.ProjectId is { } projectId && !request.IsTargeted)
                    {
                        request.Target(projectId);   // a whole-call failure is recorded in the first resolved key's project
                    }
                }

                if (key.IsDisabled)
                {
                    throw new KmsBadRequestException($"Key with ID \"{keyRef.AsSent}\" is disabled");
                }

                if (!key.IsExportable)
                {
                    throw new KmsBadRequestException($"You are not allowed to export key with ID \"{keyRef.AsSent}\"");
                }

                exported.Add(await ExportMaterialAsync(db, key, ct));
                records.Add(record);
            }

            await audit.WriteAsync(records);
            AuditLog.MarkCommitted(request);   // the per-key records stand for the request
            return exported;
        });
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
