using InfisicalKms.Core.Access;
using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Organizations;

namespace InfisicalKms.Core.Identities;

/// <summary>An identity with the auth methods it has (spec §8.7).</summary>
public sealed record IdentityInfo(MachineIdentity Identity, bool HasUniversalAuth)
{
    public IReadOnlyList<string> AuthMethods =>
        [.. HasUniversalAuth ? new[] { "universal-auth" } : [], .. Identity.HasTokenAuth ? new[] { "token" } : []];
}

/// <summary>A project an identity is a member of, with its role there.</summary>
public sealed record IdentityProject(Guid ProjectId, string ProjectName, ProjectRole Role, DateTime AddedAt);

public sealed record CreateIdentityRequest(string Name, string OrganizationId, OrgRole Role);

public sealed record AttachUniversalAuthRequest(
    long AccessTokenTtl, long AccessTokenMaxTtl,
    IReadOnlyList<TrustedIpRange> AccessTokenTrustedIps, IReadOnlyList<TrustedIpRange> ClientSecretTrustedIps);

public sealed record CreateClientSecretRequest(string Description, long Ttl, long NumUsesLimit);

/// <summary>A new client secret: the only time the secret itself exists outside the caller.</summary>
public sealed record CreatedClientSecret(string Secret, ClientSecret Data)
{
    public override string ToString() => $"CreatedClientSecret({Data.Id})";   // never the secret
}
