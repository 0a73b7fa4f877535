// HMAC (RFC 2104) for the MAC keys of spec §5.2 and §6.10:
//   HMAC_SHA_1 (20-byte MAC), HMAC_SHA_224 (28), HMAC_SHA_256 (32), HMAC_SHA_384 (48), HMAC_SHA_512 (64)
//   full-length output, no truncation
using System.Security.Cryptography;
using InfisicalKms.Core.Keys;

namespace InfisicalKms.Core.Crypto;

/// <summary>Computes and checks HMACs; the check is constant-time.</summary>
public static class MacComputer
{
    public static byte[] Compute(KeyAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => algorithm switch
    {
        KeyAlgorithm.HmacSha1 => HMACSHA1.HashData(key, data),
        KeyAlgorithm.HmacSha224 => Sha224.Hmac(key, data),
        KeyAlgorithm.HmacSha256 => HMACSHA256.HashData(key, data),
        KeyAlgorithm.HmacSha384 => HMACSHA384.HashData(key, data),
        KeyAlgorithm.HmacSha512 => HMACSHA512.HashData(key, data),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Not an HMAC algorithm."),
    };

    /// <summary>
    /// True when <paramref name="mac"/> is the HMAC of the data. A MAC of another length is simply false;
    /// equal lengths are compared in constant time.
    /// </summary>
    public static bool Verify(KeyAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> mac)
    {
        byte[] expected = Compute(algorithm, key, data);
        return expected.Length == mac.Length && CryptographicOperations.FixedTimeEquals(expected, mac);
    }

    /// <summary>The hash block size: the longest HMAC key imported as is (spec §7.15).</summary>
    public static int BlockSize(KeyAlgorithm algorithm) =>
        algorithm is KeyAlgorithm.HmacSha384 or KeyAlgorithm.HmacSha512 ? 128 : 64;
}
