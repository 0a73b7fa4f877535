using System.Security.Cryptography;

namespace InfisicalKms.Core.Crypto;

/// <summary>Signing algorithms of spec §5.4, in declaration order (also the order of signing-algorithm lists).</summary>
public enum SigningAlgorithm
{
    RsassaPssSha512,
    RsassaPssSha384,
    RsassaPssSha256,
    RsassaPkcs1V15Sha512,
    RsassaPkcs1V15Sha384,
    RsassaPkcs1V15Sha256,
    EcdsaSha512,
    EcdsaSha384,
    EcdsaSha256,
}

public static class SigningAlgorithms
{
    public static readonly WireNames<SigningAlgorithm> Wire = new(
        (SigningAlgorithm.RsassaPssSha512, "RSASSA_PSS_SHA_512"),
        (SigningAlgorithm.RsassaPssSha384, "RSASSA_PSS_SHA_384"),
        (SigningAlgorithm.RsassaPssSha256, "RSASSA_PSS_SHA_256"),
        (SigningAlgorithm.RsassaPkcs1V15Sha512, "RSASSA_PKCS1_V1_5_SHA_512"),
        (SigningAlgorithm.RsassaPkcs1V15Sha384, "RSASSA_PKCS1_V1_5_SHA_384"),
        (SigningAlgorithm.RsassaPkcs1V15Sha256, "RSASSA_PKCS1_V1_5_SHA_256"),
        (SigningAlgorithm.EcdsaSha512, "ECDSA_SHA_512"),
        (SigningAlgorithm.EcdsaSha384, "ECDSA_SHA_384"),
        (SigningAlgorithm.EcdsaSha256, "ECDSA_SHA_256"));

    public static string ToWire(this SigningAlgorithm algorithm) => Wire.Name(algorithm);

    public static bool IsRsa(this SigningAlgorithm algorithm) => algorithm <= SigningAlgorithm.RsassaPkcs1V15Sha256;

    public static bool IsPss(this SigningAlgorithm algorithm) => algorithm <= SigningAlgorithm.RsassaPssSha256;

    public static HashAlgorithmName Hash(this SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.RsassaPssSha512 or SigningAlgorithm.RsassaPkcs1V15Sha512 or SigningAlgorithm.EcdsaSha512 => HashAlgorithmName.SHA512,
        SigningAlgorithm.RsassaPssSha384 or SigningAlgorithm.RsassaPkcs1V15Sha384 or SigningAlgorithm.EcdsaSha384 => HashAlgorithmName.SHA384,
        SigningAlgorithm.RsassaPssSha256 or SigningAlgorithm.RsassaPkcs1V15Sha256 or SigningAlgorithm.EcdsaSha256 => HashAlgorithmName.SHA256,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>Digest length in bytes: 32, 48 or 64.</summary>
    public static int HashSize(this SigningAlgorithm algorithm) => algorithm.Hash().Name switch
    {
        "SHA512" => 64,
        "SHA384" => 48,
        _ => 32,
    };
}
