using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Organizations;

namespace InfisicalKms.Core.Access;

/// <summary>Who is calling: a machine identity (API) or a user (web UI), with its organization role.</summary>
/// <remarks>Carries no credential; services authorise with it and audit records name it.</remarks>
public sealed record Actor(ActorType Type, Guid Id, string Name, Guid OrganizationId, OrgRole OrgRole)
{
    public bool IsOrgAdmin => OrgRole == OrgRole.Admin;

    /// <summary>Where the call came from, for audit records; <see cref="RequestOrigin.None"/> when unknown.</summary>
    public RequestOrigin Origin { get; init; } = RequestOrigin.None;

    /// <summary>A signed-in person as of <paramref name="user"/>'s current row (role included).</summary>
    public static Actor ForUser(KmsUser user) =>
        new(ActorType.User, user.Id, user.Email ?? user.UserName ?? "", user.OrganizationId, user.OrgRole);
}

public enum ActorType
{
    Identity,
    User,
}
