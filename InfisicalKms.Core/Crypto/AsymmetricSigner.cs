// Signatures of spec §6.7 and §6.8.
//   RSASSA-PSS          RFC 8017 §8.1, MGF1 with the message hash, salt length = hash length (32/48/64)
//   RSASSA-PKCS1-v1_5   RFC 8017 §8.2, DigestInfo of the hash
//   ECDSA               FIPS 186-5, DER SEQUENCE { r, s } (RFC 3279), not IEEE P1363 r‖s
//   private keys        PKCS#8 PrivateKeyInfo DER; public keys SubjectPublicKeyInfo DER
using System.Formats.Asn1;
using System.Security.Cryptography;

namespace InfisicalKms.Core.Crypto;

/// <summary>Signs and verifies with RSA-4096 and ECDSA keys held as PKCS#8 / SPKI.</summary>
/// <remarks>
/// The caller checks key/algorithm compatibility first (KeyAlgorithmRules). With <c>isDigest</c> the data
/// is the hash itself and is signed as is; PSS does not take digests because the salted encoding would make
/// a pre-hashed and a raw message indistinguishable to an auditor of the call (Infisical's rule).
/// </remarks>
public static class AsymmetricSigner
{
    public static byte[] Sign(ReadOnlySpan<byte> pkcs8PrivateKey, SigningAlgorithm algorithm, ReadOnlySpan<byte> data, bool isDigest)
    {
        CheckInput(algorithm, data, isDigest);
        using AsymmetricAlgorithm key = ParsePrivateKey(pkcs8PrivateKey, algorithm.IsRsa());
        return Sign(key, algorithm, data, isDigest);
    }

    /// <summary>Signs with a key already parsed by <see cref="ParsePrivateKey"/> (RSA for RSA algorithms, else ECDsa).</summary>
    public static byte[] Sign(AsymmetricAlgorithm key, SigningAlgorithm algorithm, ReadOnlySpan<byte> data, bool isDigest)
    {
        CheckInput(algorithm, data, isDigest);
        byte[] hash = HashOrDigest(algorithm, data, isDigest)!;
        try
        {
            return algorithm.IsRsa()
                ? ((RSA)key).SignHash(hash, algorithm.Hash(), Padding(algorithm))
                : ((ECDsa)key).SignHash(hash, DSASignatureFormat.Rfc3279DerSequence);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(hash);
        }
    }

    /// <summary>An RSA or ECDsa object for a PKCS#8 PrivateKeyInfo; the caller disposes it.</summary>
    public static AsymmetricAlgorithm ParsePrivateKey(ReadOnlySpan<byte> pkcs8PrivateKey, bool rsa)
    {
        AsymmetricAlgorithm key = rsa ? RSA.Create() : ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(pkcs8PrivateKey, out _);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static void CheckInput(SigningAlgorithm algorithm, ReadOnlySpan<byte> data, bool isDigest)
    {
        if (isDigest && data.Length != algorithm.HashSize())
        {
            throw new ArgumentException($"A digest for {algorithm.ToWire()} is {algorithm.HashSize()} bytes.", nameof(data));
        }

        if (isDigest && algorithm.IsRsa() && algorithm.IsPss())
        {
            throw new ArgumentException("RSA PSS does not support digested input.", nameof(isDigest));
        }
    }

    /// <summary>
    /// True only for a well-formed signature that matches. A malformed signature, a digest of the wrong
    /// length or a key of the other family yields false, never an exception (spec §6.7).
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> subjectPublicKeyInfo, SigningAlgorithm algorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, bool isDigest)
    {
        byte[]? hash = HashOrDigest(algorithm, data, isDigest);
        if (hash is null || (isDigest && algorithm.IsPss()))
        {
            return false;
        }

        try
        {
            if (algorithm.IsRsa())
            {
                using RSA rsa = RSA.Create();
                rsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
                return rsa.VerifyHash(hash, signature, algorithm.Hash(), Padding(algorithm));
            }

            if (!IsStrictDerSignature(signature))
            {
                return false;
            }

            using ECDsa ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
            return ecdsa.VerifyHash(hash, signature, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Exactly <c>SEQUENCE { INTEGER r, INTEGER s }</c> in DER with r, s &gt; 0 and nothing after it.</summary>
    /// <remarks>OpenSSL accepts some non-DER forms (e.g. an s without its leading zero); those are malleable.</remarks>
    private static bool IsStrictDerSignature(ReadOnlySpan<byte> signature)
    {
        try
        {
            var reader = new AsnReader(signature.ToArray(), AsnEncodingRules.DER);
            AsnReader sequence = reader.ReadSequence();
            System.Numerics.BigInteger r = sequence.ReadInteger();
            System.Numerics.BigInteger s = sequence.ReadInteger();
            sequence.ThrowIfNotEmpty();
            reader.ThrowIfNotEmpty();
            return r.Sign > 0 && s.Sign > 0;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private static RSASignaturePadding Padding(SigningAlgorithm algorithm) =>
        algorithm.IsPss() ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;   // .NET's PSS salt = hash length

    private static byte[]? HashOrDigest(SigningAlgorithm algorithm, ReadOnlySpan<byte> data, bool isDigest)
    {
        if (isDigest)
        {
            return data.Length == algorithm.HashSize() ? data.ToArray() : null;
        }

        return algorithm.HashSize() switch
        {
            64 => SHA512.HashData(data),
            48 => SHA384.HashData(data),
            _ => SHA256.HashData(data),
        };
    }
}
