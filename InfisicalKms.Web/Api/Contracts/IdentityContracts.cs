using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Organizations;

namespace InfisicalKms.Web.Api.Contracts;

/// <summary>The identity object (spec §8.7).</summary>
public sealed record IdentityDto(string Id, string Name, string OrgId, string Role, IReadOnlyList<string> AuthMethods, string CreatedAt, string UpdatedAt)
{
    public static IdentityDto From(IdentityInfo info) => new(
        info.Identity.Id.ToString(), info.Identity.Name, info.Identity.OrganizationId.ToString(), info.Identity.OrgRole.ToWire(),
        info.AuthMethods, ApiJson.Timestamp(info.Identity.CreatedAt), ApiJson.Timestamp(info.Identity.UpdatedAt));
}

public sealed record IdentityResponse(IdentityDto Identity);

public sealed record IdentityListResponse(IReadOnlyList<IdentityDto> Identities);

public sealed record TrustedIpDto(string IpAddress, string Type, int Prefix)
{
    public static TrustedIpDto From(TrustedIpRange r) => new(r.Network.ToString(), r.Type, r.Prefix);
}

/// <summary>The universal-auth object (spec §8.8).</summary>
public sealed record UniversalAuthDto(
    string Id, string ClientId, string IdentityId, long AccessTokenTTL, long AccessTokenMaxTTL,
    IReadOnlyList<TrustedIpDto> AccessTokenTrustedIps, IReadOnlyList<TrustedIpDto> ClientSecretTrustedIps, string CreatedAt, string UpdatedAt)
{
    public static UniversalAuthDto From(UniversalAuthConfig ua) => new(
        ua.Id.ToString(), ua.ClientId.ToString(), ua.IdentityId.ToString(), ua.AccessTokenTtl, ua.AccessTokenMaxTtl,
        TrustedIpRange.Split(ua.AccessTokenTrustedIps).Select(TrustedIpDto.From).ToArray(),
        TrustedIpRange.Split(ua.ClientSecretTrustedIps).Select(TrustedIpDto.From).ToArray(),
        ApiJson.Timestamp(ua.CreatedAt), ApiJson.Timestamp(ua.UpdatedAt));
}

public sealed record UniversalAuthResponse(UniversalAuthDto IdentityUniversalAuth);

/// <summary>The client-secret object (spec §8.9); never the secret.</summary>
public sealed record ClientSecretDto(
    string Id, string Description, string ClientSecretPrefix, long Ttl, long NumUses, long NumUsesLimit, bool IsClientSecretRevoked, string CreatedAt)
{
    public static ClientSecretDto From(ClientSecret s) => new(
        s.Id.ToString(), s.Description, s.Prefix, s.Ttl, s.NumUses, s.NumUsesLimit, s.IsRevoked, ApiJson.Timestamp(s.CreatedAt));
}

public sealed record CreatedClientSecretResponse(string ClientSecret, ClientSecretDto ClientSecretData);

public sealed record ClientSecretResponse(ClientSecretDto ClientSecretData);

public sealed record ClientSecretListResponse(IReadOnlyList<ClientSecretDto> ClientSecretData);

public sealed record CreateIdentityBody(string Name, string OrganizationId, string? Role);

public sealed record TrustedIpBody(string IpAddress);

public sealed record AttachUniversalAuthBody(
    long? AccessTokenTTL, long? AccessTokenMaxTTL, IReadOnlyList<TrustedIpBody>? AccessTokenTrustedIps, IReadOnlyList<TrustedIpBody>? ClientSecretTrustedIps);

public sealed record CreateClientSecretBody(string? Description, long? Ttl, long? NumUsesLimit);
