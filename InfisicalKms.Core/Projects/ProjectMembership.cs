using InfisicalKms.Core.Access;

namespace InfisicalKms.Core.Projects;

/// <summary>A machine identity's role in a project (spec §8.10).</summary>
public sealed class IdentityMembership
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public Guid IdentityId { get; set; }

    public ProjectRole Role { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>A user's role in a project (spec §8.11).</summary>
public sealed class UserMembership
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    public Guid UserId { get; set; }

    public ProjectRole Role { get; set; }

    public DateTime CreatedAt { get; set; }
}
