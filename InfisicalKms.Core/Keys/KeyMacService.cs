using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Caching;
using InfisicalKms.Core.Errors;

namespace InfisicalKms.Core.Keys;

/// <summary>MACs (spec §7.17, §7.18, §6.10), data keys (§10.3) and re-wrapping (§10.4).</summary>
public sealed class KeyMacService(KeyRing ring, KeyCryptoService crypto, AuditLog audit)
{
    public Task<(byte[] Mac, KeyAlgorithm Algorithm)> GenerateMacAsync(Actor actor, KeyRef keyRef, byte[] data, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.GenerateMac);
        return audit.RunAsync(entry, async () =>
        {
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.GenerateMac], KeyUsage.GenerateVerifyMac, ct);
            using KeyLease material = ring.Current(key);
            return (MacComputer.Compute(key.Algorithm, material.Span, data), key.Algorithm);
        });
    }

    /// <summary>Checks the MAC against the current version, then older ones newest first, so MACs survive rotation.</summary>
    public Task<(bool Valid, KeyAlgorithm Algorithm)> VerifyMacAsync(Actor actor, KeyRef keyRef, byte[] data, byte[] mac, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.VerifyMac);
        return audit.RunAsync(entry, async () =>
        {
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.VerifyMac], KeyUsage.GenerateVerifyMac, ct);
            bool valid = await ring.FirstVersionAsync(key, named: null,
                material => MacComputer.Verify(key.Algorithm, material.Span, data, mac) ? Matched : null, ct) is not null;
            return (valid, key.Algorithm);
        });
    }

    /// <summary>Fresh random bytes and their encryption under the current version; neither is stored.</summary>
    public Task<DataKey> GenerateDataKeyAsync(Actor actor, KeyRef keyRef, int keySize, byte[]? aad, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.GenerateDataKey).With("keySize", keySize);
        return audit.RunAsync(entry, async () =>
        {
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.Encrypt], KeyUsage.EncryptDecrypt, ct);
            byte[] plaintext = System.Security.Cryptography.RandomNumberGenerator.GetBytes(keySize);
            EncryptResult sealedKey = crypto.EncryptWith(key, plaintext, aad);
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
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.Decrypt, Permission.Encrypt], KeyUsage.EncryptDecrypt, ct);
            DecryptResult opened = await crypto.DecryptWithAsync(key, ciphertext, aad, ct) ?? throw new DecryptionFailedException();
            try
            {
                EncryptResult resealed = crypto.EncryptWith(key, opened.Plaintext, aad);
                entry.With("fromVersion", opened.KeyVersion).With("toVersion", resealed.KeyVersion);
                return new RewrapResult(resealed.Ciphertext, opened.KeyVersion, resealed.KeyVersion);
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(opened.Plaintext);
            }
        });
    }

    private static readonly object Matched = new();
}

/// <summary>A data key: the plaintext goes to the caller once and is never stored or logged.</summary>
public sealed record DataKey(byte[] Plaintext, byte[] Ciphertext, int KeyVersion)
{
    public override string ToString() => $"DataKey(version {KeyVersion})";
}

public sealed record RewrapResult(byte[] Ciphertext, int FromVersion, int ToVersion);
