using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Keys;

/// <summary>
/// Batch operations (spec §10.6): the key is checked once (K2–K5 fail the whole request), its material is
/// unwrapped once per version, and each item then succeeds or fails on its own.
/// </summary>
public sealed class KeyBatchService(IDbContextFactory<KmsDbContext> dbFactory, EnvelopeEncryptor envelope, AuditLog audit)
{
    public Task<IReadOnlyList<BatchOutcome<EncryptResult>>> EncryptAsync(Actor actor, KeyRef keyRef, IReadOnlyList<(byte[] Plaintext, byte[]? Aad)> items, int rejectedCount, CancellationToken ct) =>
        AuditedAsync<EncryptResult>(actor, AuditEventTypes.Encrypt, items.Count, rejectedCount, async entry =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.Encrypt], disabledCheck: true, usage: KeyUsage.EncryptDecrypt);
            using var ring = new MaterialRing(db, envelope, key.Id);
            KeyMaterial material = (await ring.GetAsync(key.Version, ct))!;
            return items.Select(item => BatchOutcome<EncryptResult>.Ok(
                new EncryptResult(CiphertextBlob.Seal(AesGcmCipher.Encrypt(material.Span, item.Plaintext, item.Aad), key.Version), key.Version))).ToList();
        });

    public Task<IReadOnlyList<BatchOutcome<DecryptResult>>> DecryptAsync(Actor actor, KeyRef keyRef, IReadOnlyList<(byte[] Ciphertext, byte[]? Aad)> items, int rejectedCount, CancellationToken ct) =>
        AuditedAsync<DecryptResult>(actor, AuditEventTypes.Decrypt, items.Count, rejectedCount, async entry =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.Decrypt], disabledCheck: true, usage: KeyUsage.EncryptDecrypt);
            using var ring = new MaterialRing(db, envelope, key.Id);
            List<int> versions = await db.KeyVersions.AsNoTracking().Where(v => v.KeyId == key.Id)
                .OrderByDescending(v => v.Version).Select(v => v.Version).ToListAsync(ct);
            var results = new List<BatchOutcome<DecryptResult>>();
            foreach ((byte[] blob, byte[]? aad) in items)
            {
                results.Add(await DecryptOneAsync(ring, key, versions, blob, aad, ct) is { } result
                    ? BatchOutcome<DecryptResult>.Ok(result)
                    : BatchOutcome<DecryptResult>.Fail(new DecryptionFailedException()));
            }

            return results;
        });

    public Task<IReadOnlyList<BatchOutcome<byte[]>>> SignAsync(Actor actor, KeyRef keyRef, IReadOnlyList<SignRequest> items, int rejectedCount, CancellationToken ct) =>
        AuditedAsync<byte[]>(actor, AuditEventTypes.Sign, items.Count, rejectedCount, async entry =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.Sign], disabledCheck: true, usage: KeyUsage.SignVerify);
            using var ring = new MaterialRing(db, envelope, key.Id);
            KeyMaterial material = (await ring.GetAsync(key.Version, ct))!;
            return items.Select(item => Try(() =>
            {
                KeyAlgorithmRules.CheckSigning(key.Algorithm, item.Algorithm, item.IsDigest, item.Data.Length, signing: true);
                return AsymmetricSigner.Sign(material.Span, item.Algorithm, item.Data, item.IsDigest);
            })).ToList();
        });

    public Task<IReadOnlyList<BatchOutcome<bool>>> VerifyAsync(Actor actor, KeyRef keyRef, IReadOnlyList<VerifyRequest> items, int rejectedCount, CancellationToken ct) =>
        AuditedAsync<bool>(actor, AuditEventTypes.Verify, items.Count, rejectedCount, async entry =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.Verify], disabledCheck: true, usage: KeyUsage.SignVerify);
            byte[] publicKey = await db.KeyVersions.AsNoTracking().Where(v => v.KeyId == key.Id && v.Version == key.Version)
                .Select(v => v.PublicKey!).FirstAsync(ct);
            return items.Select(item => Try(() =>
            {
                KeyAlgorithmRules.CheckSigning(key.Algorithm, item.Algorithm, item.IsDigest, item.Data.Length, signing: false);
                return AsymmetricSigner.Verify(publicKey, item.Algorithm, item.Data, item.Signature, item.IsDigest);
            })).ToList();
        });

    /// <summary>One record per batch request: how many items it held and how many failed (spec §10.7.4).</summary>
    /// <param name="rejectedCount">Items the caller already failed on their own field rules (spec §10.6, 422 per item); they
    /// never reach this service but are items of the request, so they count in <c>itemCount</c> and <c>failedCount</c>.</param>
    private Task<IReadOnlyList<BatchOutcome<T>>> AuditedAsync<T>(
        Actor actor, string eventType, int validCount, int rejectedCount, Func<AuditEntry, Task<IReadOnlyList<BatchOutcome<T>>>> run)
    {
        AuditEntry entry = audit.Entry(actor, eventType).With("itemCount", validCount + rejectedCount);
        return audit.RunAsync(entry, async () =>
        {
            IReadOnlyList<BatchOutcome<T>> outcomes = await run(entry);
            entry.With("failedCount", rejectedCount + outcomes.Count(o => o.Error is not null));
            return outcomes;
        });
    }

    private static async Task<DecryptResult?> DecryptOneAsync(MaterialRing ring, KmsKey key, List<int> versions, byte[] blob, byte[]? aad, CancellationToken ct)
    {
        if (!CiphertextBlob.TryOpen(blob, out int payloadLength, out uint? embedded))
        {
            return null;
        }

        IEnumerable<int> order = (embedded is { } e and >= 1 and <= int.MaxValue ? [(int)e, key.Version] : new[] { key.Version })
            .Concat(versions).Distinct();
        foreach (int version in order)
        {
            if (await ring.GetAsync(version, ct) is { } material
                && AesGcmCipher.Decrypt(material.Span, blob.AsSpan(0, payloadLength), aad) is { } plaintext)
            {
                return new DecryptResult(plaintext, version);
            }
        }

        return null;
    }

    private static BatchOutcome<T> Try<T>(Func<T> operation)
    {
        try
        {
            return BatchOutcome<T>.Ok(operation());
        }
        catch (KmsException e)
        {
            return BatchOutcome<T>.Fail(e);
        }
    }

    /// <summary>Unwrapped versions of one key for the length of one request; zeroed on dispose.</summary>
    private sealed class MaterialRing(KmsDbContext db, EnvelopeEncryptor envelope, Guid keyId) : IDisposable
    {
        private readonly Dictionary<int, KeyMaterial?> _materials = [];

        public async Task<KeyMaterial?> GetAsync(int version, CancellationToken ct)
        {
            if (!_materials.TryGetValue(version, out KeyMaterial? material))
            {
                KeyVersion? row = await db.KeyVersions.AsNoTracking().FirstOrDefaultAsync(v => v.KeyId == keyId && v.Version == version, ct);
                material = row is null ? null : envelope.Unwrap(keyId, version, row.WrappedMaterial);
                _materials[version] = material;
            }

            return material;
        }

        public void Dispose()
        {
            foreach (KeyMaterial? material in _materials.Values)
            {
                material?.Dispose();
            }
        }
    }
}

/// <summary>One batch item's result, or the error that failed only that item.</summary>
public sealed record BatchOutcome<T>(T? Value, KmsException? Error)
{
    public static BatchOutcome<T> Ok(T value) => new(value, null);

    public static BatchOutcome<T> Fail(KmsException error) => new(default, error);
}
