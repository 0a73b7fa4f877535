namespace InfisicalKms.Core.Identities;

/// <summary>Universal Auth attached to an identity (spec §8.8).</summary>
public sealed class UniversalAuthConfig
{
    public Guid Id { get; set; }

    public Guid IdentityId { get; set; }

    /// <summary>Public identifier sent at login; not a secret.</summary>
    public Guid ClientId { get; set; }

    public long AccessTokenTtl { get; set; }

    public long AccessTokenMaxTtl { get; set; }

    /// <summary>CIDR blocks, comma-separated in canonical form (e.g. <c>0.0.0.0/0,::/0</c>).</summary>
    public required string AccessTokenTrustedIps { get; set; }

    public required string ClientSecretTrustedIps { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
