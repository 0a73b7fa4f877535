// Fresh key material (spec §6.1):
//   AES-256-GCM / AES-128-GCM   32 / 16 bytes from the CSPRNG
//   HMAC-SHA-1/224/256/384/512  20 / 28 / 32 / 48 / 64 bytes (hash output length) from the CSPRNG
//   RSA_4096                    4096-bit modulus, e = 65537, PKCS#8 DER (RFC 5208) + SPKI DER
//   ECC_NIST_P256/P384/P521     named curve, PKCS#8 DER + SPKI DER (uncompressed point)
using System.Security.Cryptography;
using InfisicalKms.Core.Keys;

namespace InfisicalKms.Core.Crypto;

/// <summary>A freshly generated key: secret material plus, for asymmetric keys, the public key.</summary>
public sealed class GeneratedKey(KeyMaterial material, byte[]? publicKey) : IDisposable
{
    public KeyMaterial Material { get; } = material;

    /// <summary>SubjectPublicKeyInfo DER for RSA and ECC keys; null for symmetric and HMAC keys.</summary>
    public byte[]? PublicKey { get; } = publicKey;

    public void Dispose() => Material.Dispose();
}

/// <summary>Generates key material for every <see cref="KeyAlgorithm"/>.</summary>
public static class KeyGenerator
{
    public const int RsaKeySizeInBits = 4096;

    /// <remarks>RSA-4096 generation takes about a second of CPU; callers run it off the request thread.</remarks>
    public static GeneratedKey Generate(KeyAlgorithm algorithm)
    {
        switch (algorithm)
        {
            case KeyAlgorithm.Rsa4096:
                using (RSA rsa = RSA.Create(RsaKeySizeInBits))
                {
                    return new GeneratedKey(KeyMaterial.TakeOwnership(rsa.ExportPkcs8PrivateKey()), rsa.ExportSubjectPublicKeyInfo());
                }

            case KeyAlgorithm.EccNistP256 or KeyAlgorithm.EccNistP384 or KeyAlgorithm.EccNistP521:
                using (ECDsa ecdsa = ECDsa.Create(Curve(algorithm)))
                {
                    return new GeneratedKey(KeyMaterial.TakeOwnership(ecdsa.ExportPkcs8PrivateKey()), ecdsa.ExportSubjectPublicKeyInfo());
                }

            default:
                return new GeneratedKey(KeyMaterial.TakeOwnership(RandomNumberGenerator.GetBytes(SymmetricKeySize(algorithm))), null);
        }
    }

    /// <summary>Key size in bytes of the symmetric and HMAC algorithms.</summary>
    public static int SymmetricKeySize(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.Aes256Gcm => 32,
        KeyAlgorithm.Aes128Gcm => 16,
        KeyAlgorithm.HmacSha1 => 20,
        KeyAlgorithm.HmacSha224 => 28,
        KeyAlgorithm.HmacSha256 => 32,
        KeyAlgorithm.HmacSha384 => 48,
        KeyAlgorithm.HmacSha512 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Not a symmetric algorithm."),
    };

    public static ECCurve Curve(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EccNistP256 => ECCurve.NamedCurves.nistP256,
        KeyAlgorithm.EccNistP384 => ECCurve.NamedCurves.nistP384,
        KeyAlgorithm.EccNistP521 => ECCurve.NamedCurves.nistP521,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Not an ECC algorithm."),
    };
}
