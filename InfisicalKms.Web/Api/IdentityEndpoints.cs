using System.Text.Json;
using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InfisicalKms.Web.Api;

/// <summary>Machine identities, Universal Auth and client secrets (spec §8.7–§8.9).</summary>
public static class IdentityEndpoints
{
    private const long MaxTtl = 315_360_000;

    public static RouteGroupBuilder MapIdentityEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("identities", CreateAsync).WithName("Identities_Create").JsonBody<CreateIdentityBody>().Infisical();
        api.MapGet("identities", ListAsync).WithName("Identities_List").Query<IdentityListQuery>().Extension();
        api.MapDelete("identities/{identityId}", DeleteAsync).WithName("Identities_Delete").Infisical();

        RouteGroupBuilder ua = api.MapGroup("auth/universal-auth/identities/{identityId}");
        ua.MapPost("", AttachAsync).WithName("UniversalAuth_Attach").JsonBody<AttachUniversalAuthBody>().Infisical();
        ua.MapGet("", GetAsync).WithName("UniversalAuth_Get").Infisical();
        ua.MapPost("client-secrets", CreateSecretAsync).WithName("ClientSecrets_Create").JsonBody<CreateClientSecretBody>().Infisical();
        ua.MapGet("client-secrets", ListSecretsAsync).WithName("ClientSecrets_List").Infisical();
        ua.MapPost("client-secrets/{clientSecretId}/revoke", RevokeSecretAsync).WithName("ClientSecrets_Revoke").JsonBody<EmptyBody>().Infisical();
        return api;
    }

    private static async Task<Ok<IdentityResponse>> CreateAsync(HttpContext http, IdentityService identities)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        string? name = v.String(body, "name", required: true, min: 1, max: 64);
        string? orgId = v.String(body, "organizationId", required: true, trim: false);
        if (orgId is { Length: 0 })
        {
            v.Fail("organizationId", "Required");
        }

        OrgRole role = v.Enum(body, "role", OrgRoles.Wire) ?? OrgRole.Member;
        v.ThrowIfInvalid();
        IdentityInfo info = await identities.CreateAsync(KmsAuthFilter.Caller(http), new CreateIdentityRequest(name!, orgId!, role), http.RequestAborted);
        return TypedResults.Ok(new IdentityResponse(IdentityDto.From(info)));
    }

    private static async Task<Ok<IdentityListResponse>> ListAsync(HttpContext http, IdentityService identities)
    {
        var v = RequestValidator.For(http);
        string? orgId = v.Query("organizationId");
        if (string.IsNullOrEmpty(orgId))
        {
            v.Fail("organizationId", "Required");
            v.ThrowIfInvalid();
        }

        IReadOnlyList<IdentityInfo> list = await identities.ListAsync(KmsAuthFilter.Caller(http), orgId!, http.RequestAborted);
        return TypedResults.Ok(new IdentityListResponse(list.Select(IdentityDto.From).ToArray()));
    }

    private static async Task<Ok<IdentityResponse>> DeleteAsync(HttpContext http, string identityId, IdentityService identities)
    {
        ProjectEndpoints.PathUuid("identityId", identityId);
        IdentityInfo info = await identities.DeleteAsync(KmsAuthFilter.Caller(http), identityId, http.RequestAborted);
        return TypedResults.Ok(new IdentityResponse(IdentityDto.From(info)));
    }

    private static async Task<Ok<UniversalAuthResponse>> AttachAsync(HttpContext http, string identityId, IdentityService identities)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        v.Uuid("identityId", identityId);
        long ttl = v.Integer(body, "accessTokenTTL", required: false, 1, MaxTtl) ?? 7200;
        long maxTtl = v.Integer(body, "accessTokenMaxTTL", required: false, 1, MaxTtl) ?? 2_592_000;
        IReadOnlyList<TrustedIpRange> accessIps = TrustedIps(v, body, "accessTokenTrustedIps");
        IReadOnlyList<TrustedIpRange> secretIps = TrustedIps(v, body, "clientSecretTrustedIps");
        v.ThrowIfInvalid();
        UniversalAuthConfig ua = await identities.AttachUniversalAuthAsync(
            KmsAuthFilter.Caller(http), identityId, new AttachUniversalAuthRequest(ttl, maxTtl, accessIps, secretIps), http.RequestAborted);
        return TypedResults.Ok(new UniversalAuthResponse(UniversalAuthDto.From(ua)));
    }

    private static async Task<Ok<UniversalAuthResponse>> GetAsync(HttpContext http, string identityId, IdentityService identities)
    {
        ProjectEndpoints.PathUuid("identityId", identityId);
        UniversalAuthConfig ua = await identities.GetUniversalAuthAsync(KmsAuthFilter.Caller(http), identityId, http.RequestAborted);
        return TypedResults.Ok(new UniversalAuthResponse(UniversalAuthDto.From(ua)));
    }

    private static async Task<Ok<CreatedClientSecretResponse>> CreateSecretAsync(HttpContext http, string identityId, IdentityService identities)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        v.Uuid("identityId", identityId);
        string description = v.String(body, "description", required: false, max: 256) ?? "";
        long ttl = v.Integer(body, "ttl", required: false, 0, MaxTtl) ?? 0;
        long limit = v.Integer(body, "numUsesLimit", required: false, 0, int.MaxValue) ?? 0;
        v.ThrowIfInvalid();
        CreatedClientSecret created = await identities.CreateClientSecretAsync(
            KmsAuthFilter.Caller(http), identityId, new CreateClientSecretRequest(description, ttl, limit), http.RequestAborted);
        return TypedResults.Ok(new CreatedClientSecretResponse(created.Secret, ClientSecretDto.From(created.Data)));
    }

    private static async Task<Ok<ClientSecretListResponse>> ListSecretsAsync(HttpContext http, string identityId, IdentityService identities)
    {
        ProjectEndpoints.PathUuid("identityId", identityId);
        IReadOnlyList<ClientSecret> secrets = await identities.ListClientSecretsAsync(KmsAuthFilter.Caller(http), identityId, http.RequestAborted);
        return TypedResults.Ok(new ClientSecretListResponse(secrets.Select(ClientSecretDto.From).ToArray()));
    }

    private static async Task<Ok<ClientSecretResponse>> RevokeSecretAsync(HttpContext http, string identityId, string clientSecretId, IdentityService identities)
    {
        await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);   // [BODY] rules apply; members are ignored
        var v = RequestValidator.For(http);
        v.Uuid("identityId", identityId);
        v.Uuid("clientSecretId", clientSecretId);
        v.ThrowIfInvalid();
        ClientSecret secret = await identities.RevokeClientSecretAsync(KmsAuthFilter.Caller(http), identityId, clientSecretId, http.RequestAborted);
        return TypedResults.Ok(new ClientSecretResponse(ClientSecretDto.From(secret)));
    }

    /// <summary>An optional array of <c>{ ipAddress }</c> (spec §8.12), 1–100 entries; absent means everyone.</summary>
    private static IReadOnlyList<TrustedIpRange> TrustedIps(RequestValidator v, JsonElement body, string field)
    {
        if (v.Value(body, field, required: false) is not { } value)
        {
            return TrustedIpRange.Everyone;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            v.Fail(field, RequestValidator.TypeMessage("array", value));
            return [];
        }

        int count = value.GetArrayLength();
        if (count is < 1 or > 100)
        {
            v.Fail(field, count < 1 ? "Array must contain at least 1 element(s)" : "Array must contain at most 100 element(s)");
            return [];
        }

        var ranges = new List<TrustedIpRange>();
        int i = 0;
        foreach (JsonElement entry in value.EnumerateArray())
        {
            string path = $"{field}[{i++}]";
            if (entry.ValueKind != JsonValueKind.Object)
            {
                v.Fail(path, RequestValidator.TypeMessage("object", entry));
            }
            else if (v.String(entry, $"{path}.ipAddress", required: true) is { } text)
            {
                if (TrustedIpRange.TryParse(text, out TrustedIpRange range))
                {
                    ranges.Add(range);
                }
                else
                {
                    v.Fail($"{path}.ipAddress", TrustedIpRange.InvalidMessage);
                }
            }
        }

        return ranges;
    }
}
