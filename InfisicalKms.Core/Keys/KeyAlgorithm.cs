namespace InfisicalKms.Core.Keys;

/// <summary>Every key algorithm of spec §5.2, in declaration order.</summary>
public enum KeyAlgorithm
{
    Aes256Gcm,
    Aes128Gcm,
    Rsa4096,
    EccNistP256,
    EccNistP384,
    EccNistP521,
    HmacSha1,
    HmacSha224,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

public static class KeyAlgorithms
{
    public static readonly WireNames<KeyAlgorithm> Wire = new(
        (KeyAlgorithm.Aes256Gcm, "aes-256-gcm"),
        (KeyAlgorithm.Aes128Gcm, "aes-128-gcm"),
        (KeyAlgorithm.Rsa4096, "RSA_4096"),
        (KeyAlgorithm.EccNistP256, "ECC_NIST_P256"),
        (KeyAlgorithm.EccNistP384, "ECC_NIST_P384"),
        (KeyAlgorithm.EccNistP521, "ECC_NIST_P521"),
        (KeyAlgorithm.HmacSha1, "HMAC_SHA_1"),
        (KeyAlgorithm.HmacSha224, "HMAC_SHA_224"),
        (KeyAlgorithm.HmacSha256, "HMAC_SHA_256"),
        (KeyAlgorithm.HmacSha384, "HMAC_SHA_384"),
        (KeyAlgorithm.HmacSha512, "HMAC_SHA_512"));

    public static string ToWire(this KeyAlgorithm algorithm) => Wire.Name(algorithm);

    /// <summary>The usage family an algorithm belongs to (spec §5.3).</summary>
    public static KeyUsage Usage(this KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.Aes256Gcm or KeyAlgorithm.Aes128Gcm => KeyUsage.EncryptDecrypt,
        KeyAlgorithm.Rsa4096 or KeyAlgorithm.EccNistP256 or KeyAlgorithm.EccNistP384 or KeyAlgorithm.EccNistP521 => KeyUsage.SignVerify,
        KeyAlgorithm.HmacSha1 or KeyAlgorithm.HmacSha224 or KeyAlgorithm.HmacSha256 or KeyAlgorithm.HmacSha384 or KeyAlgorithm.HmacSha512 => KeyUsage.GenerateVerifyMac,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    public static bool IsEcc(this KeyAlgorithm algorithm) =>
        algorithm is KeyAlgorithm.EccNistP256 or KeyAlgorithm.EccNistP384 or KeyAlgorithm.EccNistP521;

    /// <summary>The default algorithm of a usage when the client names none (spec §5.3).</summary>
    public static KeyAlgorithm DefaultFor(KeyUsage usage) => usage switch
    {
        KeyUsage.EncryptDecrypt => KeyAlgorithm.Aes256Gcm,
        KeyUsage.SignVerify => KeyAlgorithm.Rsa4096,
        KeyUsage.GenerateVerifyMac => KeyAlgorithm.HmacSha256,
        _ => throw new ArgumentOutOfRangeException(nameof(usage)),
    };
}
