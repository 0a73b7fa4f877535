using System.Security.Cryptography;

namespace InfisicalKms.Core.Auth;

/// <summary>Generation and hashing of bearer secrets (access tokens, client secrets).</summary>
/// <remarks>
/// Both carry 256 bits from the CSPRNG, so a plain SHA-256 is a sufficient stored form: there is nothing
/// to brute-force. Lookups go by hash and the final comparison is constant-time.
/// </remarks>
public static class Secrets
{
    /// <summary>An access token: 32 random bytes, base64url without padding (alphabet A–Z a–z 0–9 - _).</summary>
    public static string NewAccessToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A client secret: 32 random bytes as 64 lower-case hex characters (spec §8.9.1).</summary>
    public static string NewClientSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// A one-time password for an invited user: 18 random bytes (144 bits), base64url, 24 characters. Stored
    /// with the account's password hasher, like any password, never with <see cref="Hash"/>.
    /// </summary>
    public static string NewOneTimePassword() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string secret) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret));

    public static bool HashEquals(byte[] a, byte[] b) => CryptographicOperations.FixedTimeEquals(a, b);
}
