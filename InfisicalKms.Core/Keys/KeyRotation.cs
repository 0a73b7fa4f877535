using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Keys;

/// <summary>One rotation (spec §7.13), shared by the API and the scheduler.</summary>
/// <remarks>
/// Atomic and serialised by optimistic concurrency: the key's version moves from v to v+1 only if it is
/// still v, in the same transaction that inserts the new material. A concurrent rotation that lost
/// retries on the new version, so each rotation produces its own version; the scheduler instead gives up,
/// so a due rotation happens once even with several instances.
/// </remarks>
internal static class KeyRotation
{
    private const int Attempts = 5;

    /// <param name="record">The rotation's audit record; it commits in the rotation's transaction, with the new version.</param>
    /// <returns>The rotated key, or null when <paramref name="onlyIfDue"/> and someone else rotated it first.</returns>
    public static async Task<KmsKey?> RotateAsync(
        KmsDbContext db, EnvelopeEncryptor envelope, AuditLog audit, AuditEntry record, Guid keyId, DateTime now, bool onlyIfDue, CancellationToken ct)
    {
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            KmsKey key = await db.Keys.AsNoTracking().FirstAsync(k => k.Id == keyId, ct);
            if (onlyIfDue && !(key.RotationEnabled && !key.IsDisabled && key.NextRotationAt <= now))
            {
                return null;
            }

            int next = key.Version + 1;
            DateTime? nextRotation = key.RotationEnabled && key.RotationIntervalDays is { } days ? now.AddDays(days) : null;
            using GeneratedKey material = KeyGenerator.Generate(key.Algorithm);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            int updated = await db.Keys.Where(k => k.Id == keyId && k.Version == key.Version)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(k => k.Version, next)
                    .SetProperty(k => k.LastRotatedAt, now)
                    .SetProperty(k => k.NextRotationAt, nextRotation)
                    .SetProperty(k => k.UpdatedAt, now), ct);
            if (updated == 0)
            {
                await transaction.RollbackAsync(ct);
                if (onlyIfDue)
                {
                    return null;
                }

                continue;
            }

            db.KeyVersions.Add(new KeyVersion
            {
                KeyId = keyId,
                Version = next,
                WrappedMaterial = envelope.Wrap(keyId, next, material.Material.Span),
                PublicKey = material.PublicKey,
                CreatedAt = now,
            });
            await audit.SaveAsync(record.With("keyVersion", next), db, ct);
            db.ChangeTracker.Clear();

            // Read inside the transaction: after the commit a concurrent rotation could already have moved the key on,
            // and this call would report that rotation's version instead of the one it created.
            KmsKey rotated = await db.Keys.AsNoTracking().FirstAsync(k => k.Id == keyId, ct);
            await transaction.CommitAsync(ct);
            AuditLog.MarkCommitted(record);
            return rotated;
        }

        throw new InvalidOperationException($"Key {keyId} could not be rotated after {Attempts} concurrent attempts.");
    }
}
