using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Keys;

/// <summary>Encrypt, decrypt, sign, verify and public-key operations (spec §7.7–§7.12). Stores none of the data.</summary>
public sealed class KeyCryptoService(IDbContextFactory<KmsDbContext> dbFactory, EnvelopeEncryptor envelope, AuditLog audit)
{
    public Task<EncryptResult> EncryptAsync(Actor actor, KeyRef keyRef, byte[] plaintext, byte[]? aad, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.Encrypt);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.Encrypt], disabledCheck: true, usage: KeyUsage.EncryptDecrypt);
            EncryptResult result = await EncryptWithAsync(db, key, plaintext, aad, ct);
            entry.With("keyVersion", result.KeyVersion);
            return result;
        });
    }

    /// <summary>Decrypts a v01 or v02 blob, trying versions in the order of spec §6.4.</summary>
    /// <remarks>Every failure is the same <see cref="DecryptionFailedException"/>; nothing says which check failed.</remarks>
    public Task<DecryptResult> DecryptAsync(Actor actor, KeyRef keyRef, byte[] blob, byte[]? aad, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.Decrypt);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.Decrypt], disabledCheck: true, usage: KeyUsage.EncryptDecrypt);
            DecryptResult result = await DecryptWithAsync(db, key, blob, aad, ct);
            entry.With("keyVersion", result.KeyVersion);
            return result;
        });
    }

    public Task<byte[]> SignAsync(Actor actor, KeyRef keyRef, SignRequest request, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.Sign).With("signingAlgorithm", request.Algorithm.ToWire());
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.Sign], disabledCheck: true, usage: KeyUsage.SignVerify);
            KeyAlgorithmRules.CheckSigning(key.Algorithm, request.Algorithm, request.IsDigest, request.Data.Length, signing: true);
            KeyVersion current = await LoadVersionAsync(db, key.Id, key.Version, ct);
            using KeyMaterial material = envelope.Unwrap(key.Id, current.Version, current.WrappedMaterial);
            return AsymmetricSigner.Sign(material.Span, request.Algorithm, request.Data, request.IsDigest);
        });
    }

    /// <summary>Verifies with the stored public key; the private key is not unwrapped.</summary>
    public Task<bool> VerifyAsync(Actor actor, KeyRef keyRef, VerifyRequest request, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.Verify).With("signingAlgorithm", request.Algorithm.ToWire());
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.Verify], disabledCheck: true, usage: KeyUsage.SignVerify);
            KeyAlgorithmRules.CheckSigning(key.Algorithm, request.Algorithm, request.IsDigest, request.Data.Length, signing: false);
            KeyVersion current = await LoadVersionAsync(db, key.Id, key.Version, ct);
            return AsymmetricSigner.Verify(current.PublicKey!, request.Algorithm, request.Data, request.Signature, request.IsDigest);
        });
    }

    public Task<byte[]> GetPublicKeyAsync(Actor actor, KeyRef keyRef, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.GetPublicKey);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.ReadKey], disabledCheck: true, usage: KeyUsage.SignVerify);
            KeyVersion current = await LoadVersionAsync(db, key.Id, key.Version, ct);
            return current.PublicKey!;
        });
    }

    public Task<IReadOnlyList<SigningAlgorithm>> GetSigningAlgorithmsAsync(Actor actor, KeyRef keyRef, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.ListSigningAlgorithms);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.ReadKey], disabledCheck: true);
            if (key.Usage != KeyUsage.SignVerify)
            {
                throw new KmsBadRequestException($"Key with ID '{keyRef.AsSent}' is not intended for signing");
            }

            return KeyAlgorithmRules.SigningAlgorithmsFor(key.Algorithm);
        });
    }

    /// <summary>Encrypts under the current version of a key already resolved and authorised.</summary>
    internal async Task<EncryptResult> EncryptWithAsync(KmsDbContext db, KmsKey key, byte[] plaintext, byte[]? aad, CancellationToken ct)
    {
        KeyVersion current = await LoadVersionAsync(db, key.Id, key.Version, ct);
        using KeyMaterial material = envelope.Unwrap(key.Id, current.Version, current.WrappedMaterial);
        byte[] payload = AesGcmCipher.Encrypt(material.Span, plaintext, aad);
        return new EncryptResult(CiphertextBlob.Seal(payload, current.Version), current.Version);
    }

    /// <summary>Decrypts with a key already resolved and authorised, trying versions in the order of spec §6.4.</summary>
    internal async Task<DecryptResult> DecryptWithAsync(KmsDbContext db, KmsKey key, byte[] blob, byte[]? aad, CancellationToken ct)
    {
        if (!CiphertextBlob.TryOpen(blob, out int payloadLength, out uint? embedded))
        {
            throw new DecryptionFailedException();
        }

        ReadOnlyMemory<byte> payload = blob.AsMemory(0, payloadLength);
        var tried = new HashSet<int>();
        foreach (int version in CandidateOrder(embedded, key.Version))
        {
            if (tried.Add(version) && await TryVersionAsync(db, key.Id, version, payload, aad, ct) is { } plaintext)
            {
                return new DecryptResult(plaintext, version);
            }
        }

        // Older versions, newest first, loaded only when the likely candidates failed.
        List<int> older = await db.KeyVersions.AsNoTracking().Where(v => v.KeyId == key.Id)
            .OrderByDescending(v => v.Version).Select(v => v.Version).ToListAsync(ct);
        foreach (int version in older.Where(tried.Add))
        {
            if (await TryVersionAsync(db, key.Id, version, payload, aad, ct) is { } plaintext)
            {
                return new DecryptResult(plaintext, version);
            }
        }

        throw new DecryptionFailedException();
    }

    private static IEnumerable<int> CandidateOrder(uint? embedded, int current)
    {
        if (embedded is { } v and >= 1 and <= int.MaxValue)
        {
            yield return (int)v;
        }

        yield return current;
    }

    private async Task<byte[]?> TryVersionAsync(KmsDbContext db, Guid keyId, int version, ReadOnlyMemory<byte> payload, byte[]? aad, CancellationToken ct)
    {
        KeyVersion? row = await db.KeyVersions.AsNoTracking().FirstOrDefaultAsync(v => v.KeyId == keyId && v.Version == version, ct);
        if (row is null)
        {
            return null;
        }

        using KeyMaterial material = envelope.Unwrap(keyId, row.Version, row.WrappedMaterial);
        return AesGcmCipher.Decrypt(material.Span, payload.Span, aad);
    }

    private static async Task<KeyVersion> LoadVersionAsync(KmsDbContext db, Guid keyId, int version, CancellationToken ct) =>
        await db.KeyVersions.AsNoTracking().FirstOrDefaultAsync(v => v.KeyId == keyId && v.Version == version, ct)
        ?? throw new InvalidOperationException($"Key {keyId} has no material for its current version {version}.");
}

public sealed record EncryptResult(byte[] Ciphertext, int KeyVersion);

public sealed record DecryptResult(byte[] Plaintext, int KeyVersion);
