using System.Buffers.Binary;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.RootKeys;

namespace InfisicalKms.Core.Envelope;

/// <summary>Wraps every version of every key's material under the in-memory root key (spec §11.1).</summary>
/// <remarks>
/// AES-256-GCM, payload <c>nonce ‖ ct ‖ tag</c>. The associated data is the key ID and version, so a wrapped
/// blob copied onto another key or version row does not unwrap. An unwrap failure means the store was
/// modified or belongs to another root key: it is an internal error, never a caller's.
/// </remarks>
public sealed class EnvelopeEncryptor(RootKey rootKey)
{
    public byte[] Wrap(Guid keyId, int version, ReadOnlySpan<byte> material) =>
        AesGcmCipher.Encrypt(rootKey.Bytes, material, Aad(keyId, version));

    public KeyMaterial Unwrap(Guid keyId, int version, ReadOnlySpan<byte> wrapped)
    {
        byte[] material = AesGcmCipher.Decrypt(rootKey.Bytes, wrapped, Aad(keyId, version))
            ?? throw new InvalidOperationException($"Stored material of key {keyId} version {version} does not authenticate under the root key.");
        return KeyMaterial.TakeOwnership(material);
    }

    private static byte[] Aad(Guid keyId, int version)
    {
        byte[] aad = new byte[20];
        keyId.TryWriteBytes(aad, bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(aad.AsSpan(16), version);
        return aad;
    }
}
