using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Caching;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Errors;

namespace InfisicalKms.Core.Keys;

/// <summary>Encrypt, decrypt, sign, verify and public-key operations (spec §7.7–§7.12). Stores none of the data.</summary>
public sealed class KeyCryptoService(KeyRing ring, AuditLog audit)
{
    public Task<EncryptResult> EncryptAsync(Actor actor, KeyRef keyRef, byte[] plaintext, byte[]? aad, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.Encrypt);
        return audit.RunAsync(entry, async () =>
        {
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.Encrypt], KeyUsage.EncryptDecrypt, ct);
            EncryptResult result = EncryptWith(key, plaintext, aad);
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
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.Decrypt], KeyUsage.EncryptDecrypt, ct);
            DecryptResult result = await DecryptWithAsync(key, blob, aad, ct) ?? throw new DecryptionFailedException();
            entry.With("keyVersion", result.KeyVersion);
            return result;
        });
    }

    public Task<byte[]> SignAsync(Actor actor, KeyRef keyRef, SignRequest request, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.Sign).With("signingAlgorithm", request.Algorithm.ToWire());
        return audit.RunAsync(entry, async () =>
        {
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.Sign], KeyUsage.SignVerify, ct);
            return ring.Sign(key, request);
        });
    }

    /// <summary>Verifies with the stored public key; the private key is not unwrapped.</summary>
    public Task<bool> VerifyAsync(Actor actor, KeyRef keyRef, VerifyRequest request, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.Verify).With("signingAlgorithm", request.Algorithm.ToWire());
        return audit.RunAsync(entry, async () =>
        {
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.Verify], KeyUsage.SignVerify, ct);
            return Verify(key, request);
        });
    }

    public Task<byte[]> GetPublicKeyAsync(Actor actor, KeyRef keyRef, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.GetPublicKey);
        return audit.RunAsync(entry, async () =>
        {
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.ReadKey], KeyUsage.SignVerify, ct);
            return key.PublicKey!;
        });
    }

    public Task<IReadOnlyList<SigningAlgorithm>> GetSigningAlgorithmsAsync(Actor actor, KeyRef keyRef, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.ListSigningAlgorithms);
        return audit.RunAsync(entry, async () =>
        {
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.ReadKey], usage: null, ct);
            if (key.Usage != KeyUsage.SignVerify)
            {
                throw new KmsBadRequestException($"Key with ID '{keyRef.AsSent}' is not intended for signing");
            }

            return KeyAlgorithmRules.SigningAlgorithmsFor(key.Algorithm);
        });
    }

    /// <summary>Encrypts under the current version of a key already resolved and authorised.</summary>
    internal EncryptResult EncryptWith(UsableKey key, byte[] plaintext, byte[]? aad)
    {
        using KeyLease material = ring.Current(key);
        return new EncryptResult(CiphertextBlob.Seal(AesGcmCipher.Encrypt(material.Span, plaintext, aad), key.Version), key.Version);
    }

    /// <summary>Decrypts with a key already resolved and authorised (spec §6.4 order); null when no version opens it.</summary>
    internal async Task<DecryptResult?> DecryptWithAsync(UsableKey key, byte[] blob, byte[]? aad, CancellationToken ct)
    {
        if (!CiphertextBlob.TryOpen(blob, out int payloadLength, out uint? named))
        {
            return null;
        }

        ReadOnlyMemory<byte> payload = blob.AsMemory(0, payloadLength);
        return await ring.FirstVersionAsync(key, named, material => AesGcmCipher.Decrypt(material.Span, payload.Span, aad), ct) is { } opened
            ? new DecryptResult(opened.Result, opened.Version)
            : null;
    }

    internal static bool Verify(UsableKey key, VerifyRequest request)
    {
        KeyAlgorithmRules.CheckSigning(key.Algorithm, request.Algorithm, request.IsDigest, request.Data.Length, signing: false);
        return AsymmetricSigner.Verify(key.PublicKey!, request.Algorithm, request.Data, request.Signature, request.IsDigest);
    }
}

public sealed record EncryptResult(byte[] Ciphertext, int KeyVersion);

public sealed record DecryptResult(byte[] Plaintext, int KeyVersion);
