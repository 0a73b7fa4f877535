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

    /// <summary>
    /// Encrypts data that is not key material (the web tier's Data Protection keys) under the root key. The
    /// associated data is the purpose's name, which no key's 20-byte associated data can equal.
    /// </summary>
    public byte[] Seal(string purpose, ReadOnlySpan<byte> data) =>
        AesGcmCipher.Encrypt(rootKey.Bytes, data, System.Text.Encoding.UTF8.GetBytes(purpose));

    /// <summary>Decrypts what <see cref="Seal"/> made for the same purpose.</summary>
    /// <exception cref="InvalidOperationException">The data was modified, sealed for another purpose or under another root key.</exception>
    public byte[] Open(string purpose, ReadOnlySpan<byte> sealedData) =>
        AesGcmCipher.Decrypt(rootKey.Bytes, sealedData, System.Text.Encoding.UTF8.GetBytes(purpose))
        ?? throw new InvalidOperationException($"Sealed {purpose} data does not authenticate under the root key.");

    private static byte[] Aad(Guid keyId, int version)
    {
        byte[] aad = new byte[20];
        keyId.TryWriteBytes(aad, bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(aad.AsSpan(16), version);
        return aad;
    }
}
