using System.Text;
using InfisicalKms.Core.Crypto;

namespace InfisicalKms.Tests.Core.Crypto;

/// <summary>One known-answer blob of spec §6.12.</summary>
internal sealed record SpecBlobVector(string Name, byte[] Key, byte[] Plaintext, byte[] Aad, int KeyVersion, string BlobBase64)
{
    public byte[] Blob => Convert.FromBase64String(BlobBase64);
}

/// <summary>The five blob vectors of spec §6.12, by case name (theory rows show the name, not bytes).</summary>
internal static class SpecBlobVectors
{
    public const string V01Aes256 = "v01, aes-256-gcm";
    public const string V02Version2 = "v02, version 2, aes-256-gcm";
    public const string V01Aes128 = "v01, aes-128-gcm";
    public const string V01WithAad = "v01, aes-256-gcm, with AAD";
    public const string V01Empty = "v01, empty plaintext";

    /// <summary>The IV every §6.12 vector injects: bytes 0–11.</summary>
    public static byte[] Nonce => Bytes(0, AesGcmCipher.NonceSize);

    public static byte[] TenantAcme => Encoding.ASCII.GetBytes("tenant=acme");

    private static readonly SpecBlobVector[] All =
    [
        new(V01Aes256, Bytes(0, 32), Ascii("hello world"), [], 1,
            "AAECAwQFBgcICQoLL2e6d6rFtXT/LfMFMBxWQ34jd7mO85YcJxkodjAx"),
        new(V02Version2, Bytes(32, 32), Ascii("hello world"), [], 2,
            "AAECAwQFBgcICQoLNDcxyyUVnIPOla133As0B4kjHXg4LetL7PCQAAAAAnYwMg=="),
        new(V01Aes128, Bytes(0, 16), Ascii("hello world"), [], 1,
            "AAECAwQFBgcICQoL+wnLogk7gDs5vgVJsIXmMuSKWZm7hCcSNWVtdjAx"),
        new(V01WithAad, Bytes(0, 32), Ascii("hello world"), Ascii("tenant=acme"), 1,
            "AAECAwQFBgcICQoLL2e6d6rFtXT/LfM80EGpaIhiSWnbUALhdbE2djAx"),
        new(V01Empty, Bytes(0, 32), [], [], 1,
            "AAECAwQFBgcICQoL9MLbHcOIBaN7khccXQqBzHYwMQ=="),
    ];

    public static TheoryData<string> Names => new(All.Select(v => v.Name));

    public static SpecBlobVector Get(string name) => All.Single(v => v.Name == name);

    /// <summary>TryOpen then TryDecrypt, as the decrypt path does: the plaintext, or null on any failure.</summary>
    public static byte[]? Open(ReadOnlySpan<byte> key, byte[] blob, ReadOnlySpan<byte> aad)
    {
        if (!CiphertextBlob.TryOpen(blob, out int payloadLength, out _) || payloadLength < AesGcmCipher.Overhead)
        {
            return null;
        }

        byte[] plaintext = new byte[payloadLength - AesGcmCipher.Overhead];
        return AesGcmCipher.TryDecrypt(key, blob.AsSpan(0, payloadLength), aad, plaintext) ? plaintext : null;
    }

    /// <summary>Consecutive byte values: <c>Bytes(32, 32)</c> is 20 21 … 3f.</summary>
    private static byte[] Bytes(int first, int count) => Enumerable.Range(first, count).Select(i => (byte)i).ToArray();

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}
