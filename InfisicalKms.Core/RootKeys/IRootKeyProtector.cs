namespace InfisicalKms.Core.RootKeys;

/// <summary>
/// Wraps and unwraps the 32-byte root key under a wrapping key the KMS does not store: an environment key
/// (<see cref="SoftwareRootKeyProtector"/>) or a key inside an HSM (PKCS#11).
/// </summary>
public interface IRootKeyProtector
{
    RootKeyStrategy Strategy { get; }

    /// <summary>Where the wrapping key comes from, for logs and status (a variable name or file path, never a value).</summary>
    string Source { get; }

    byte[] Wrap(ReadOnlySpan<byte> rootKey);

    /// <summary>Returns the root key, or null when this wrapping key did not produce <paramref name="wrapped"/>.</summary>
    byte[]? TryUnwrap(ReadOnlySpan<byte> wrapped);
}
