namespace InfisicalKms.Core.Organizations;

/// <summary>The tenant created by bootstrap (spec §8.5).</summary>
public sealed class Organization
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public required string Slug { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
