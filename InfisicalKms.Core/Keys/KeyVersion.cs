namespace InfisicalKms.Core.Keys;

/// <summary>One generation of a key's material, wrapped by the root key.</summary>
public sealed class KeyVersion
{
    public Guid KeyId { get; set; }

    public int Version { get; set; }

    /// <summary>AES-256-GCM under the root key, bound to (key ID, version) by associated data.</summary>
    public required byte[] WrappedMaterial { get; set; }

    /// <summary>SubjectPublicKeyInfo DER of sign-verify keys (public, so stored in clear); null otherwise.</summary>
    public byte[]? PublicKey { get; set; }

    public DateTime CreatedAt { get; set; }
}
