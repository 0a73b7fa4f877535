namespace InfisicalKms.Core.Projects;

/// <summary>A container of keys with its own memberships (spec §8.6). Every project has type <c>kms</c>.</summary>
public sealed class Project
{
    public Guid Id { get; set; }

    public Guid OrganizationId { get; set; }

    public required string Name { get; set; }

    public required string Slug { get; set; }

    public string? Description { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
