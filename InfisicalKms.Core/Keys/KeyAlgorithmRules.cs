using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Errors;

namespace InfisicalKms.Core.Keys;

/// <summary>The one place for usage ↔ algorithm (§5.3) and key ↔ signing-algorithm (§5.5, §6.8) rules.</summary>
public static class KeyAlgorithmRules
{
    /// <summary>The 422 message when an algorithm does not belong to a usage, for the field the client sent.</summary>
    public static string? UsageMismatchMessage(KeyUsage usage, KeyAlgorithm algorithm, string field)
    {
        if (algorithm.Usage() == usage)
        {
            return null;
        }

        return usage switch
        {
            KeyUsage.EncryptDecrypt => $"{field} must be a valid symmetric encryption algorithm. Valid options are: aes-256-gcm, aes-128-gcm",
            KeyUsage.SignVerify => $"{field} must be a valid asymmetric sign-verify algorithm. Valid options are: RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521",
            KeyUsage.GenerateVerifyMac => $"{field} must be a valid HMAC algorithm. Valid options are: HMAC_SHA_1, HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512",
            _ => throw new ArgumentOutOfRangeException(nameof(usage)),
        };
    }

    /// <summary>The signing algorithms a key offers, in declaration order (§7.10).</summary>
    public static IReadOnlyList<SigningAlgorithm> SigningAlgorithmsFor(KeyAlgorithm algorithm) =>
        SigningAlgorithms.Wire.Values.Where(s => s.IsRsa() == (algorithm == KeyAlgorithm.Rsa4096)).ToArray();

    /// <summary>Checks, in the spec's order: key/algorithm compatibility, PSS with a digest, digest length (sign only).</summary>
    public static void CheckSigning(KeyAlgorithm key, SigningAlgorithm algorithm, bool isDigest, int dataLength, bool signing)
    {
        bool rsaKey = key == KeyAlgorithm.Rsa4096;
        if (rsaKey != algorithm.IsRsa())
        {
            throw new KmsBadRequestException($"KMS {(rsaKey ? "RSA" : "ECC")} key cannot be used with {algorithm.ToWire()}");
        }

        if (isDigest && algorithm.IsPss())
        {
            throw new KmsBadRequestException("RSA PSS does not support digested input");
        }

        if (signing && isDigest && dataLength != algorithm.HashSize())
        {
            throw new KmsBadRequestException(
                $"Failed to sign {(rsaKey ? "RSA" : "ECC")} digest with {algorithm.ToWire()} due to signing error. " +
                $"Ensure that your digest is hashed with SHA{algorithm.HashSize() * 8}.");
        }
    }
}
