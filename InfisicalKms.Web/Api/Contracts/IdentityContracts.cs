using System.ComponentModel.DataAnnotations;
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

// Request records (spec §8.7–§8.9, §8.12).

public sealed record CreateIdentityBody(
    [property: Length(1, 64)] string Name,
    [property: MinLength(1)] string OrganizationId,
    [property: WireEnum<OrgRole>] string? Role);

/// <summary>An IPv4 or IPv6 address or CIDR block in its standard text form (spec §8.12).</summary>
public sealed record TrustedIpBody(string IpAddress);

public sealed record AttachUniversalAuthBody(
    [property: Range(1, 315_360_000)] long? AccessTokenTTL,
    [property: Range(1, 315_360_000)] long? AccessTokenMaxTTL,
    [property: Length(1, 100)] IReadOnlyList<TrustedIpBody>? AccessTokenTrustedIps,
    [property: Length(1, 100)] IReadOnlyList<TrustedIpBody>? ClientSecretTrustedIps);

public sealed record CreateClientSecretBody(
    [property: MaxLength(256)] string? Description,
    [property: Range(0, 315_360_000)] long? Ttl,
    [property: Range(0, int.MaxValue)] long? NumUsesLimit);

public sealed record IdentityListQuery([property: MinLength(1)] string OrganizationId);
