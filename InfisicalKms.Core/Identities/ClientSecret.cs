namespace InfisicalKms.Core.Identities;

/// <summary>A Universal Auth client secret (spec §8.9). Only its SHA-256 hash and a 4-character prefix are stored.</summary>
public sealed class ClientSecret
{
    public Guid Id { get; set; }

    public Guid UniversalAuthId { get; set; }

    public required string Description { get; set; }

    public required string Prefix { get; set; }

    /// <summary>SHA-256 of the secret; a 256-bit random secret needs no slow hash.</summary>
    public required byte[] SecretHash { get; set; }

    public long Ttl { get; set; }

    public long NumUses { get; set; }

    public long NumUsesLimit { get; set; }

    public bool IsRevoked { get; set; }

    public DateTime CreatedAt { get; set; }
}
