namespace InfisicalKms.Core.Auth;

/// <summary>An issued access token (spec §8.1). The token string itself is never stored, only its SHA-256.</summary>
public sealed class AccessToken
{
    public Guid Id { get; set; }

    public Guid IdentityId { get; set; }

    public required byte[] TokenHash { get; set; }

    /// <summary>True for the bootstrap token: it never expires and has no trusted IPs.</summary>
    public bool IsBootstrap { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>Null for bootstrap tokens.</summary>
    public DateTime? ExpiresAt { get; set; }

    /// <summary>Renewals never push the expiry past this; null for bootstrap tokens.</summary>
    public DateTime? MaxExpiresAt { get; set; }

    public bool IsRevoked { get; set; }
}
