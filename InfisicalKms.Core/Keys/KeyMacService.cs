using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Keys;

/// <summary>MACs (spec §7.17, §7.18, §6.10), data keys (§10.3) and re-wrapping (§10.4).</summary>
public sealed class KeyMacService(IDbContextFactory<KmsDbContext> dbFactory, EnvelopeEncryptor envelope, KeyCryptoService crypto, AuditLog audit)
{
    public Task<(byte[] Mac, KeyAlgorithm Algorithm)> GenerateMacAsync(Actor actor, KeyRef keyRef, byte[] data, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.GenerateMac);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.GenerateMac], disabledCheck: true, usage: KeyUsage.GenerateVerifyMac);
            KeyVersion current = await db.KeyVersions.AsNoTracking().FirstAsync(v => v.KeyId == key.Id && v.Version == key.Version, ct);
            using KeyMaterial material = envelope.Unwrap(key.Id, current.Version, current.WrappedMaterial);
            return (MacComputer.Compute(key.Algorithm, material.Span, data), key.Algorithm);
        });
    }

    /// <summary>Checks the MAC against the current version, then older ones newest first, so MACs survive rotation.</summary>
    public Task<(bool Valid, KeyAlgorithm Algorithm)> VerifyMacAsync(Actor actor, KeyRef keyRef, byte[] data, byte[] mac, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.VerifyMac);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.VerifyMac], disabledCheck: true, usage: KeyUsage.GenerateVerifyMac);
            List<KeyVersion> versions = await db.KeyVersions.AsNoTracking().Where(v => v.KeyId == key.Id)
                .OrderByDescending(v => v.Version == key.Version).ThenByDescending(v => v.Version).ToListAsync(ct);
            foreach (KeyVersion version in versions)
            {
                using KeyMaterial material = envelope.Unwrap(key.Id, version.Version, version.WrappedMaterial);
                if (MacComputer.Verify(key.Algorithm, material.Span, data, mac))
                {
                    return (true, key.Algorithm);
                }
            }

            return (false, key.Algorithm);
        });
    }

    /// <summary>Fresh random bytes and their encryption under the current version; neither is stored.</summary>
    public Task<DataKey> GenerateDataKeyAsync(Actor actor, KeyRef keyRef, int keySize, byte[]? aad, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.GenerateDataKey).With("keySize", keySize);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.Encrypt], disabledCheck: true, usage: KeyUsage.EncryptDecrypt);
            byte[] plaintext = System.Security.Cryptography.RandomNumberGenerator.GetBytes(keySize);
            EncryptResult sealedKey = await crypto.EncryptWithAsync(db, key, plaintext, aad, ct);
            entry.With("keyVersion", sealedKey.KeyVersion);
            return new DataKey(plaintext, sealedKey.Ciphertext, sealedKey.KeyVersion);
        });
    }

    /// <summary>Decrypts and re-encrypts under the current version inside the server; the plaintext never leaves.</summary>
    /// <remarks>Checks decrypt, then encrypt (spec §9.6), before touching the ciphertext.</remarks>
    public Task<RewrapResult> RewrapAsync(Actor actor, KeyRef keyRef, byte[] ciphertext, byte[]? aad, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.Rewrap);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.Decrypt, Permission.Encrypt], disabledCheck: true, usage: KeyUsage.EncryptDecrypt);
            DecryptResult opened = await crypto.DecryptWithAsync(db, key, ciphertext, aad, ct);
            try
            {
                EncryptResult resealed = await crypto.EncryptWithAsync(db, key, opened.Plaintext, aad, ct);
                entry.With("fromVersion", opened.KeyVersion).With("toVersion", resealed.KeyVersion);
                return new RewrapResult(resealed.Ciphertext, opened.KeyVersion, resealed.KeyVersion);
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(opened.Plaintext);
            }
        });
    }
}

/// <summary>A data key: the plaintext goes to the caller once and is never stored or logged.</summary>
public sealed record DataKey(byte[] Plaintext, byte[] Ciphertext, int KeyVersion)
{
    public override string ToString() => $"DataKey(version {KeyVersion})";
}

public sealed record RewrapResult(byte[] Ciphertext, int FromVersion, int ToVersion);
