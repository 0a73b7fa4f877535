using System.Security.Cryptography;

namespace InfisicalKms.Core.Crypto;

/// <summary>Secret key bytes that are zeroed on dispose and never printed.</summary>
/// <remarks>
/// Symmetric and HMAC keys hold the raw key; RSA and ECC keys hold the PKCS#8 PrivateKeyInfo DER.
/// Callers borrow the bytes through <see cref="Span"/> and must not copy them into longer-lived buffers.
/// </remarks>
public sealed class KeyMaterial : IDisposable
{
    private readonly byte[] _bytes;
    private bool _disposed;

    /// <summary>Copies <paramref name="bytes"/>; the caller remains responsible for its own copy.</summary>
    public KeyMaterial(ReadOnlySpan<byte> bytes) => _bytes = bytes.ToArray();

    private KeyMaterial(byte[] owned) => _bytes = owned;

    /// <summary>Takes ownership of <paramref name="bytes"/> without copying; they are zeroed on dispose.</summary>
    public static KeyMaterial TakeOwnership(byte[] bytes) => new(bytes);

    public int Length => _bytes.Length;

    public ReadOnlySpan<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_bytes);
        _disposed = true;
    }

    public override string ToString() => $"KeyMaterial({_bytes.Length} bytes)";
}
