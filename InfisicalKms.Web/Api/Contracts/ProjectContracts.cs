using System.ComponentModel.DataAnnotations;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Projects;

namespace InfisicalKms.Web.Api.Contracts;

/// <summary>The project object (spec §8.6).</summary>
public sealed record ProjectDto(string Id, string Name, string Slug, string? Description, string Type, string OrgId, string CreatedAt, string UpdatedAt)
{
    public static ProjectDto From(Project p) => new(
        p.Id.ToString(), p.Name, p.Slug, p.Description, "kms", p.OrganizationId.ToString(), ApiJson.Timestamp(p.CreatedAt), ApiJson.Timestamp(p.UpdatedAt));
}

public sealed record ProjectResponse(ProjectDto Project);

public sealed record ProjectListResponse(IReadOnlyList<ProjectDto> Projects);

/// <summary>An identity membership (spec §8.10); list entries add <c>identity</c>.</summary>
public sealed record IdentityMembershipDto(
    string Id, string IdentityId, string ProjectId, string Role, string CreatedAt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    MemberIdentityDto? Identity)
{
    public static IdentityMembershipDto From(MembershipInfo m, bool withIdentity) => new(
        m.Id.ToString(), m.MemberId.ToString(), m.ProjectId.ToString(), m.Role.ToWire(), ApiJson.Timestamp(m.CreatedAt),
        withIdentity ? new MemberIdentityDto(m.MemberId.ToString(), m.MemberName) : null);
}

public sealed record MemberIdentityDto(string Id, string Name);

public sealed record IdentityMembershipResponse(IdentityMembershipDto IdentityMembership);

public sealed record IdentityMembershipListResponse(IReadOnlyList<IdentityMembershipDto> IdentityMemberships);

/// <summary>A user membership (spec §8.11).</summary>
public sealed record UserMembershipDto(string Id, string UserId, string ProjectId, string Role, string CreatedAt, MemberUserDto User)
{
    public static UserMembershipDto From(MembershipInfo m) => new(
        m.Id.ToString(), m.MemberId.ToString(), m.ProjectId.ToString(), m.Role.ToWire(), ApiJson.Timestamp(m.CreatedAt),
        new MemberUserDto(m.MemberId.ToString(), m.MemberName));
}

public sealed record MemberUserDto(string Id, string Email);

public sealed record UserMembershipResponse(UserMembershipDto Membership);

public sealed record UserMembershipListResponse(IReadOnlyList<UserMembershipDto> Memberships);

// Request records (spec §8.6, §8.10, §8.11).

public sealed record CreateProjectBody(
    [property: Length(1, 64)] string ProjectName,
    [property: MaxLength(1024)] string? ProjectDescription,
    [property: Slug(5, 36)] string? Slug,
    [property: AllowedValues("kms")] string? Type);

public sealed record RoleBody([property: WireEnum<ProjectRole>] string? Role);

public sealed record UserMembershipBody([property: EmailAddress] string Email, [property: WireEnum<ProjectRole>] string? Role);
