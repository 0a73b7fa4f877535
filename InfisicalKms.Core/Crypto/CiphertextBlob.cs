// Ciphertext blob layout, compatible with Infisical KMS output (spec §6.3):
//   v01 (key version 1)
//     offset   size  field
//     0        12    nonce, random per call
//     12       n     ciphertext
//     12+n     16    GCM tag
//     28+n     3     ASCII "v01"
//   v02 (key version > 1)
//     0        28+n  nonce ‖ ciphertext ‖ tag, as above
//     28+n     4     key version, uint32 big-endian
//     32+n     3     ASCII "v02"
using System.Buffers.Binary;

namespace InfisicalKms.Core.Crypto;

/// <summary>Adds and recognises the version suffix around an AES-GCM payload.</summary>
public static class CiphertextBlob
{
    public const int V01Overhead = AesGcmCipher.Overhead + 3;
    public const int V02Overhead = AesGcmCipher.Overhead + 7;

    private static ReadOnlySpan<byte> V01 => "v01"u8;
    private static ReadOnlySpan<byte> V02 => "v02"u8;

    /// <summary>Appends the suffix for <paramref name="keyVersion"/>: v01 for version 1, v02 with the version otherwise.</summary>
    public static byte[] Seal(ReadOnlySpan<byte> payload, int keyVersion)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keyVersion, 1);
        if (keyVersion == 1)
        {
            byte[] v1 = new byte[payload.Length + 3];
            payload.CopyTo(v1);
            V01.CopyTo(v1.AsSpan(payload.Length));
            return v1;
        }

        byte[] v2 = new byte[payload.Length + 7];
        payload.CopyTo(v2);
        BinaryPrimitives.WriteUInt32BigEndian(v2.AsSpan(payload.Length, 4), (uint)keyVersion);
        V02.CopyTo(v2.AsSpan(payload.Length + 4));
        return v2;
    }

    /// <summary>Recognises a blob. On success <paramref name="payloadLength"/> is the length of the leading payload.</summary>
    /// <param name="embeddedVersion">The version carried by a v02 blob; null for v01.</param>
    public static bool TryOpen(ReadOnlySpan<byte> blob, out int payloadLength, out uint? embeddedVersion)
    {
        int length = blob.Length;
        if (length >= V02Overhead && blob[^3..].SequenceEqual(V02))
        {
            payloadLength = length - 7;
            embeddedVersion = BinaryPrimitives.ReadUInt32BigEndian(blob[(length - 7)..(length - 3)]);
            return true;
        }

        if (length >= V01Overhead && blob[^3..].SequenceEqual(V01))
        {
            payloadLength = length - 3;
            embeddedVersion = null;
            return true;
        }

        payloadLength = 0;
        embeddedVersion = null;
        return false;
    }
}
