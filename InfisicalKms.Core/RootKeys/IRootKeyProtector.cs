namespace InfisicalKms.Core.RootKeys;

/// <summary>
/// Wraps and unwraps the 32-byte root key under a wrapping key the KMS does not store: an environment key
/// (<see cref="SoftwareRootKeyProtector"/>) or a key inside an HSM (<see cref="Pkcs11.Pkcs11RootKeyProtector"/>).
/// </summary>
public interface IRootKeyProtector
{
    RootKeyStrategy Strategy { get; }

    /// <summary>Where the wrapping key comes from, for logs and status (a variable name or file path, never a value).</summary>
    string Source { get; }

    /// <summary>How the wrap is made, recorded next to the wrapped key (<see cref="RootKeyRecord.Mechanism"/>).</summary>
    string Mechanism { get; }

    /// <summary>What status routes and pages may show about this wrapping key: never bytes or PINs.</summary>
    RootKeyStatus Status { get; }

    /// <summary>32 fresh random bytes for a new root key, from the wrapping key's own generator where it has one (an HSM).</summary>
    byte[] GenerateRootKey();

    byte[] Wrap(ReadOnlySpan<byte> rootKey);

    /// <summary>Returns the root key, or null when this wrapping key did not produce <paramref name="wrapped"/>.</summary>
    byte[]? TryUnwrap(ReadOnlySpan<byte> wrapped);
}
