using System.Security.Cryptography;

namespace InfisicalKms.Core.RootKeys;

/// <summary>
/// The instance root key, unwrapped once at start-up and held in memory for the life of the process, so
/// the wrapping key (environment or HSM) is never on the request path.
/// </summary>
/// <remarks>Singleton. Only <see cref="Envelope.EnvelopeEncryptor"/> reads the bytes; nothing prints them.</remarks>
public sealed class RootKey : IDisposable
{
    public const int Size = 32;

    private byte[]? _bytes;

    /// <summary>True once start-up has loaded the key.</summary>
    public bool IsLoaded => Volatile.Read(ref _bytes) is not null;

    /// <summary>How the stored root key is wrapped; set together with the key.</summary>
    public RootKeyStatus? Status { get; private set; }

    internal ReadOnlySpan<byte> Bytes => Volatile.Read(ref _bytes) ?? throw new InvalidOperationException("The root key is not loaded.");

    /// <summary>Installs the unwrapped key; the array is owned from now on and zeroed on dispose.</summary>
    internal void Install(byte[] key, RootKeyStatus status)
    {
        if (key.Length != Size)
        {
            throw new ArgumentException($"The root key is {Size} bytes.", nameof(key));
        }

        byte[]? previous = Interlocked.Exchange(ref _bytes, key);
        if (previous is not null && !ReferenceEquals(previous, key))
        {
            CryptographicOperations.ZeroMemory(previous);
        }

        Status = status;
    }

    public void Dispose()
    {
        byte[]? bytes = Interlocked.Exchange(ref _bytes, null);
        if (bytes is not null)
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public override string ToString() => $"RootKey(loaded: {IsLoaded})";
}

/// <summary>What <c>GET /api/status</c> and the Settings page may show about the root key: never bytes or PINs.</summary>
/// <param name="Source">Where the wrapping key comes from: a variable name, a file path, or the HSM key label and token.</param>
public sealed record RootKeyStatus(RootKeyStrategy Strategy, string Source)
{
    /// <summary>How the root key is wrapped: <c>AES-256-GCM</c> (SOFTWARE) or the PKCS#11 mechanism (HSM).</summary>
    public string? Mechanism { get; init; }

    /// <summary>HSM only: the label of the token that holds the wrapping key.</summary>
    public string? TokenLabel { get; init; }

    /// <summary>HSM only: the token's manufacturer, as the token reports it.</summary>
    public string? Manufacturer { get; init; }

    /// <summary>HSM only: the token's model, as the token reports it.</summary>
    public string? Model { get; init; }
}
