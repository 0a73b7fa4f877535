using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Caching;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Kmip.Ttlv;

namespace InfisicalKms.Core.Kmip.Server;

/// <summary>
/// Encrypt, Decrypt, Sign, SignatureVerify and MAC, through the product's one crypto path.
/// </summary>
/// <remarks>
/// AES-GCM has two forms. With KMIP 1.4 and Cryptographic Parameters naming GCM, the response splits the
/// output as KMIP defines it: Data is the ciphertext, IV/Counter/Nonce the 12-byte IV and Authenticated
/// Encryption Tag the 16-byte tag, so <c>IV || Data || Tag || "v01"</c> is the REST API's blob for a key at
/// version 1. Before 1.4 KMIP has no tag field, so Data is the REST API's whole blob (spec §6.3), which
/// Decrypt takes back as it is. The server always chooses the IV: a client's IV is refused.
/// </remarks>
public sealed partial class KmipOperations
{
    private const int IvLength = 12;

    private const int TagLength = 16;

    private async Task<TtlvItem> EncryptAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        string uid = Uid(context, payload);
        byte[] data = payload.Require(KmipTag.Data).AsBytes();
        bool split = GcmRequested(context, payload.Find(KmipTag.CryptographicParameters));
        byte[]? aad = payload.Find(KmipTag.AuthenticatedEncryptionAdditionalData)?.AsBytes();
        if (payload.Find(KmipTag.IvCounterNonce) is not null)
        {
            throw KmipException.InvalidField("The server chooses the IV for AES-GCM; send no IV/Counter/Nonce");
        }

        AuditEntry entry = Entry(caller, AuditEventTypes.Encrypt, KmipOperation.Encrypt);
        return await audit.RunAsync(entry, async () =>
        {
            UsableKey key = await UsableAsync(caller, uid, entry, KmipPermissions.Encrypt, KeyUsage.EncryptDecrypt, ct);
            EncryptResult result = crypto.EncryptWith(key, data, aad);
            entry.With("keyVersion", result.KeyVersion);
            if (!split)
            {
                return TtlvItem.Structure(KmipTag.ResponsePayload,
                    TtlvItem.Text(KmipTag.UniqueIdentifier, uid),
                    TtlvItem.Bytes(KmipTag.Data, result.Ciphertext));
            }

            CiphertextBlob.TryOpen(result.Ciphertext, out int payloadLength, out _);
            ReadOnlySpan<byte> sealedBytes = result.Ciphertext.AsSpan(0, payloadLength);
            return TtlvItem.Structure(KmipTag.ResponsePayload,
                TtlvItem.Text(KmipTag.UniqueIdentifier, uid),
                TtlvItem.Bytes(KmipTag.Data, sealedBytes[IvLength..^TagLength]),
                TtlvItem.Bytes(KmipTag.IvCounterNonce, sealedBytes[..IvLength]),
                TtlvItem.Bytes(KmipTag.AuthenticatedEncryptionTag, sealedBytes[^TagLength..]));
        });
    }

    private async Task<TtlvItem> DecryptAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        string uid = Uid(context, payload);
        byte[] data = payload.Require(KmipTag.Data).AsBytes();
        GcmRequested(context, payload.Find(KmipTag.CryptographicParameters));
        byte[]? iv = payload.Find(KmipTag.IvCounterNonce)?.AsBytes();
        byte[]? tag = payload.Find(KmipTag.AuthenticatedEncryptionTag)?.AsBytes();
        byte[]? aad = payload.Find(KmipTag.AuthenticatedEncryptionAdditionalData)?.AsBytes();
        if ((iv is null) != (tag is null))
        {
            throw KmipException.InvalidField("AES-GCM decryption needs both the IV/Counter/Nonce and the Authenticated Encryption Tag, or neither (Data is then the whole ciphertext blob)");
        }

        if (iv is not null && (iv.Length != IvLength || tag!.Length != TagLength))
        {
            throw KmipException.InvalidField($"The IV must be {IvLength} bytes and the tag {TagLength} bytes");
        }

        // The split form is the blob without its version suffix: every version is tried, as for a v01 blob (spec §6.4).
        byte[] blob = iv is null ? data : [.. iv, .. data, .. tag!, .. "v01"u8];
        AuditEntry entry = Entry(caller, AuditEventTypes.Decrypt, KmipOperation.Decrypt);
        return await audit.RunAsync(entry, async () =>
        {
            UsableKey key = await UsableAsync(caller, uid, entry, KmipPermissions.Decrypt, KeyUsage.EncryptDecrypt, ct);
            DecryptResult result = await crypto.DecryptWithAsync(key, blob, aad, ct) ?? throw new DecryptionFailedException();
            entry.With("keyVersion", result.KeyVersion);
            return TtlvItem.Structure(KmipTag.ResponsePayload,
                TtlvItem.Text(KmipTag.UniqueIdentifier, uid),
                TtlvItem.Bytes(KmipTag.Data, result.Plaintext));
        });
    }

    /// <summary>
    /// Checks the Cryptographic Parameters of an encryption: AES-GCM only, 16-byte tags. True when the
    /// response can use KMIP 1.4's split form (GCM named, protocol 1.4).
    /// </summary>
    private static bool GcmRequested(KmipRequestContext context, TtlvItem? parameters)
    {
        if (parameters is null)
        {
            return false;
        }

        if (parameters.Find(KmipTag.CryptographicAlgorithm) is { } algorithm && (KmipCryptographicAlgorithm)algorithm.AsEnumeration() != KmipCryptographicAlgorithm.Aes)
        {
            throw KmipException.InvalidField($"Only AES is supported for Encrypt and Decrypt, not {(KmipCryptographicAlgorithm)algorithm.AsEnumeration()}");
        }

        KmipBlockCipherMode? mode = parameters.Find(KmipTag.BlockCipherMode) is { } m ? (KmipBlockCipherMode)m.AsEnumeration() : null;
        if (mode is not (null or KmipBlockCipherMode.Gcm))
        {
            throw KmipException.InvalidField($"Only the GCM block cipher mode is supported, not {mode}");
        }

        if (parameters.Find(KmipTag.TagLength) is { } tagLength && tagLength.AsInteger() != TagLength)
        {
            throw KmipException.InvalidField($"The AES-GCM tag is {TagLength} bytes");
        }

        if (parameters.Find(KmipTag.IvLength) is { } ivLength && ivLength.AsInteger() != IvLength * 8)
        {
            throw KmipException.InvalidField($"The AES-GCM IV is {IvLength * 8} bits");
        }

        return mode == KmipBlockCipherMode.Gcm && context.AtLeast(1, 4);
    }

    private async Task<TtlvItem> SignAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        string uid = Uid(context, payload);
        (byte[] data, bool isDigest) = SignedData(payload);
        AuditEntry entry = Entry(caller, AuditEventTypes.Sign, KmipOperation.Sign);
        return await audit.RunAsync(entry, async () =>
        {
            UsableKey key = await UsableAsync(caller, uid, entry, KmipPermissions.Sign, KeyUsage.SignVerify, ct);
            if (ParseUid(uid).IsPublic)
            {
                throw new KmipException(KmipResultReason.IllegalOperation, $"'{uid}' is a public key; sign with its private key");
            }

            SigningAlgorithm algorithm = SigningAlgorithmFor(key.Algorithm, payload.Find(KmipTag.CryptographicParameters));
            entry.With("signingAlgorithm", algorithm.ToWire());
            byte[] signature = ring.Sign(key, new SignRequest(algorithm, data, isDigest));
            return TtlvItem.Structure(KmipTag.ResponsePayload,
                TtlvItem.Text(KmipTag.UniqueIdentifier, uid),
                TtlvItem.Bytes(KmipTag.SignatureData, signature));
        });
    }

    /// <summary>Verifies with the public key; either object of the pair may be named.</summary>
    private async Task<TtlvItem> SignatureVerifyAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        string uid = Uid(context, payload);
        (byte[] data, bool isDigest) = SignedData(payload);
        byte[] signature = payload.Require(KmipTag.SignatureData).AsBytes();
        AuditEntry entry = Entry(caller, AuditEventTypes.Verify, KmipOperation.SignatureVerify);
        return await audit.RunAsync(entry, async () =>
        {
            UsableKey key = await UsableAsync(caller, uid, entry, KmipPermissions.Verify, KeyUsage.SignVerify, ct);
            SigningAlgorithm algorithm = SigningAlgorithmFor(key.Algorithm, payload.Find(KmipTag.CryptographicParameters));
            entry.With("signingAlgorithm", algorithm.ToWire());
            bool valid = KeyCryptoService.Verify(key, new VerifyRequest(algorithm, data, signature, isDigest));
            return TtlvItem.Structure(KmipTag.ResponsePayload,
                TtlvItem.Text(KmipTag.UniqueIdentifier, uid),
                TtlvItem.Enumeration(KmipTag.ValidityIndicator, (uint)(valid ? KmipValidityIndicator.Valid : KmipValidityIndicator.Invalid)));
        });
    }

    private async Task<TtlvItem> MacAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        string uid = Uid(context, payload);
        byte[] data = payload.Require(KmipTag.Data).AsBytes();
        KmipCryptographicAlgorithm? requested = payload.Find(KmipTag.CryptographicParameters)?.Find(KmipTag.CryptographicAlgorithm) is { } a
            ? (KmipCryptographicAlgorithm)a.AsEnumeration()
            : null;
        AuditEntry entry = Entry(caller, AuditEventTypes.GenerateMac, KmipOperation.Mac);
        return await audit.RunAsync(entry, async () =>
        {
            UsableKey key = await UsableAsync(caller, uid, entry, KmipPermissions.Mac, KeyUsage.GenerateVerifyMac, ct);
            if (requested is { } algorithm && algorithm != KmipKeyMapping.Algorithm(key.Algorithm))
            {
                throw KmipException.InvalidField($"Key '{uid}' is a {KmipKeyMapping.Algorithm(key.Algorithm)} key, not {algorithm}");
            }

            using KeyLease material = ring.Current(key);
            byte[] mac = MacComputer.Compute(key.Algorithm, material.Span, data);
            return TtlvItem.Structure(KmipTag.ResponsePayload,
                TtlvItem.Text(KmipTag.UniqueIdentifier, uid),
                TtlvItem.Bytes(KmipTag.MacData, mac));
        });
    }

    /// <summary>Data, or (KMIP 1.4) Digested Data: a hash the client computed, signed as the REST API's isDigest.</summary>
    private static (byte[] Data, bool IsDigest) SignedData(TtlvItem payload) =>
        payload.Find(KmipTag.DigestedData) is { } digest ? (digest.AsBytes(), true)
        : payload.Find(KmipTag.Data) is { } data ? (data.AsBytes(), false)
        : throw KmipException.Missing("Data or Digested Data");

    /// <summary>
    /// The product's signing algorithm for KMIP's Cryptographic Parameters: a Digital Signature Algorithm, or a
    /// Cryptographic Algorithm with Padding Method and Hashing Algorithm. None: PKCS#1 v1.5 or ECDSA with SHA-256.
    /// </summary>
    public static SigningAlgorithm SigningAlgorithmFor(KeyAlgorithm key, TtlvItem? parameters)
    {
        bool rsa = key == KeyAlgorithm.Rsa4096;
        KmipHashingAlgorithm hash = parameters?.Find(KmipTag.HashingAlgorithm) is { } h ? (KmipHashingAlgorithm)h.AsEnumeration() : KmipHashingAlgorithm.Sha256;
        if (parameters?.Find(KmipTag.DigitalSignatureAlgorithm) is { } d)
        {
            var dsa = (KmipDigitalSignatureAlgorithm)d.AsEnumeration();
            SigningAlgorithm? named = dsa switch
            {
                KmipDigitalSignatureAlgorithm.Sha256WithRsaEncryption when rsa => SigningAlgorithm.RsassaPkcs1V15Sha256,
                KmipDigitalSignatureAlgorithm.Sha384WithRsaEncryption when rsa => SigningAlgorithm.RsassaPkcs1V15Sha384,
                KmipDigitalSignatureAlgorithm.Sha512WithRsaEncryption when rsa => SigningAlgorithm.RsassaPkcs1V15Sha512,
                KmipDigitalSignatureAlgorithm.RsassaPss when rsa => Pss(hash),
                KmipDigitalSignatureAlgorithm.EcdsaWithSha256 when !rsa => SigningAlgorithm.EcdsaSha256,
                KmipDigitalSignatureAlgorithm.EcdsaWithSha384 when !rsa => SigningAlgorithm.EcdsaSha384,
                KmipDigitalSignatureAlgorithm.EcdsaWithSha512 when !rsa => SigningAlgorithm.EcdsaSha512,
                _ => null,
            };
            return named ?? throw KmipException.InvalidField($"Digital Signature Algorithm {dsa} is not supported for a {key.ToWire()} key");
        }

        KmipPaddingMethod? padding = parameters?.Find(KmipTag.PaddingMethod) is { } p ? (KmipPaddingMethod)p.AsEnumeration() : null;
        if (!rsa)
        {
            return hash switch
            {
                KmipHashingAlgorithm.Sha256 => SigningAlgorithm.EcdsaSha256,
                KmipHashingAlgorithm.Sha384 => SigningAlgorithm.EcdsaSha384,
                KmipHashingAlgorithm.Sha512 => SigningAlgorithm.EcdsaSha512,
                _ => throw KmipException.InvalidField($"Hashing Algorithm {hash} is not supported; use SHA-256, SHA-384 or SHA-512"),
            };
        }

        return padding switch
        {
            KmipPaddingMethod.Pss => Pss(hash),
            null or KmipPaddingMethod.Pkcs1V15 => hash switch
            {
                KmipHashingAlgorithm.Sha256 => SigningAlgorithm.RsassaPkcs1V15Sha256,
                KmipHashingAlgorithm.Sha384 => SigningAlgorithm.RsassaPkcs1V15Sha384,
                KmipHashingAlgorithm.Sha512 => SigningAlgorithm.RsassaPkcs1V15Sha512,
                _ => throw KmipException.InvalidField($"Hashing Algorithm {hash} is not supported; use SHA-256, SHA-384 or SHA-512"),
            },
            _ => throw KmipException.InvalidField($"Padding Method {padding} is not supported for signatures; use PSS or PKCS1 v1.5"),
        };
    }

    private static SigningAlgorithm Pss(KmipHashingAlgorithm hash) => hash switch
    {
        KmipHashingAlgorithm.Sha256 => SigningAlgorithm.RsassaPssSha256,
        KmipHashingAlgorithm.Sha384 => SigningAlgorithm.RsassaPssSha384,
        KmipHashingAlgorithm.Sha512 => SigningAlgorithm.RsassaPssSha512,
        _ => throw KmipException.InvalidField($"Hashing Algorithm {hash} is not supported; use SHA-256, SHA-384 or SHA-512"),
    };
}
