using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Keys;

namespace InfisicalKms.Tests.Core.Crypto;

/// <summary>Asymmetric keys made once per test run through <see cref="KeyGenerator"/>, shared by the crypto tests.</summary>
/// <remarks>RSA-4096 generation costs about a second of CPU, so every test class borrows the same key.</remarks>
internal static class CryptoTestKeys
{
    private static readonly Dictionary<KeyAlgorithm, Lazy<GeneratedKey>> Keys = new()
    {
        [KeyAlgorithm.Rsa4096] = new(() => KeyGenerator.Generate(KeyAlgorithm.Rsa4096)),
        [KeyAlgorithm.EccNistP256] = new(() => KeyGenerator.Generate(KeyAlgorithm.EccNistP256)),
        [KeyAlgorithm.EccNistP384] = new(() => KeyGenerator.Generate(KeyAlgorithm.EccNistP384)),
        [KeyAlgorithm.EccNistP521] = new(() => KeyGenerator.Generate(KeyAlgorithm.EccNistP521)),
    };

    /// <summary>The shared key of an asymmetric algorithm; never dispose it.</summary>
    public static GeneratedKey Get(KeyAlgorithm algorithm) => Keys[algorithm].Value;

    /// <summary>The SPKI DER of the shared key.</summary>
    public static byte[] PublicKey(KeyAlgorithm algorithm) =>
        Get(algorithm).PublicKey ?? throw new InvalidOperationException($"{algorithm} has no public key.");
}
