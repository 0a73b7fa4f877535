namespace InfisicalKms.Core.Kmip;

/// <summary>
/// A KMIP client of one project: a database, storage array or hypervisor that reaches the project's keys
/// over KMIP with a certificate issued to it. Its permissions are its own, not a project role.
/// </summary>
public sealed class KmipClient
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public Guid OrganizationId { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    public KmipPermissions Permissions { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }

    /// <summary>Set once, by revoking: every certificate of the client is refused from then on.</summary>
    public DateTime? RevokedAt { get; set; }
}

/// <summary>A certificate issued to a <see cref="KmipClient"/>. Its private key is never stored.</summary>
public sealed class KmipCertificate
{
    public Guid Id { get; set; }

    public Guid ClientId { get; set; }

    /// <summary>Upper-case hex, as certificates print it.</summary>
    public required string SerialNumber { get; set; }

    /// <summary>SHA-256 of the DER certificate: how a TLS connection finds its client.</summary>
    public required byte[] Thumbprint { get; set; }

    public DateTime NotBefore { get; set; }

    public DateTime NotAfter { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>The instance's KMIP certificate authority: one row, made when KMIP is first enabled.</summary>
public sealed class KmipAuthorityRecord
{
    public const int SingletonId = 1;

    public int Id { get; set; } = SingletonId;

    public required byte[] CertificateDer { get; set; }

    /// <summary>The CA's PKCS#8 private key, sealed by the root key.</summary>
    public required byte[] WrappedPrivateKey { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// What KMIP knows about a key beyond the product's own columns: its KMIP name, lifecycle state and dates.
/// Keys made through the REST API or the UI have no row; KMIP sees them as Active (or Deactivated when disabled).
/// </summary>
public sealed class KmipKeyState
{
    public Guid KeyId { get; set; }

    /// <summary>The KMIP Name attribute as the client sent it (the product's key name is a slug made from it).</summary>
    public required string Name { get; set; }

    public KmipState State { get; set; }

    public uint UsageMask { get; set; }

    public DateTime? ActivationDate { get; set; }

    public DateTime? DeactivationDate { get; set; }

    public DateTime? CompromiseDate { get; set; }

    public uint? RevocationReason { get; set; }

    public string? RevocationMessage { get; set; }

    /// <summary>The client that created or registered the key; null once that client is deleted.</summary>
    public Guid? CreatedByClientId { get; set; }
}
