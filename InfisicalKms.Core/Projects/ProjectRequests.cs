using InfisicalKms.Core.Access;

namespace InfisicalKms.Core.Projects;

public sealed record CreateProjectRequest(string Name, string? Description, string? Slug);

/// <summary>A membership with the member's display fields (identity name or user e-mail).</summary>
public sealed record MembershipInfo(Guid Id, Guid ProjectId, Guid MemberId, string MemberName, ProjectRole Role, DateTime CreatedAt);
