// AES-GCM with a 96-bit random nonce and a 128-bit tag (NIST SP 800-38D).
//   key      16 or 32 bytes (24 accepted for completeness; the KMS generates 16 and 32)
//   nonce    12 bytes, fresh from the CSPRNG for every encryption
//   tag      16 bytes
//   payload  nonce(12) || ciphertext(n) || tag(16), n = plaintext length
using System.Security.Cryptography;

namespace InfisicalKms.Core.Crypto;

/// <summary>The one AES-GCM primitive of the KMS: payload layout <c>nonce ‖ ciphertext ‖ tag</c>.</summary>
public static class AesGcmCipher
{
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int Overhead = NonceSize + TagSize;

    /// <summary>Encrypts with a fresh random nonce.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        RandomNumberGenerator.Fill(nonce);
        return Encrypt(key, plaintext, aad, nonce);
    }

    /// <summary>Encrypts with a caller-chosen nonce. Only known-answer tests may choose the nonce.</summary>
    /// <remarks>Reusing a nonce under one key breaks GCM completely; production code calls the overload above.</remarks>
    internal static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> nonce)
    {
        CheckKey(key);
        if (nonce.Length != NonceSize)
        {
            throw new ArgumentException($"The nonce must be {NonceSize} bytes.", nameof(nonce));
        }

        byte[] payload = new byte[Overhead + plaintext.Length];
        nonce.CopyTo(payload);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, payload.AsSpan(NonceSize, plaintext.Length), payload.AsSpan(NonceSize + plaintext.Length), aad);
        return payload;
    }

    /// <summary>Decrypts <paramref name="payload"/> into <paramref name="plaintext"/>, which must be <c>payload.Length - Overhead</c> bytes.</summary>
    /// <remarks>
    /// Every failure (wrong key, modified tag, truncated payload) returns false with no reason attached,
    /// and the output buffer is zeroed, so this method cannot be used as a decryption oracle.
    /// </remarks>
    public static bool TryDecrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> aad, Span<byte> plaintext)
    {
        CheckKey(key);
        if (payload.Length < Overhead || plaintext.Length != payload.Length - Overhead)
        {
            return false;
        }

        using var aes = new AesGcm(key, TagSize);
        try
        {
            aes.Decrypt(payload[..NonceSize], payload[NonceSize..^TagSize], payload[^TagSize..], plaintext, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
        }
    }

    /// <summary>Decrypts into a new array, or returns null when the payload does not authenticate.</summary>
    public static byte[]? Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> aad)
    {
        if (payload.Length < Overhead)
        {
            return null;
        }

        byte[] plaintext = new byte[payload.Length - Overhead];
        return TryDecrypt(key, payload, aad, plaintext) ? plaintext : null;
    }

    private static void CheckKey(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (16 or 24 or 32))
        {
            throw new ArgumentException("An AES key is 16, 24 or 32 bytes.", nameof(key));
        }
    }
}
