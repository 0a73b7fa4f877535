using System.Text.Json;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace InfisicalKms.Web.Api;

/// <summary>KMIP clients of a project and their certificates, modelled on Infisical's KMIP API (subject <c>kmip</c>).</summary>
public static class KmipEndpoints
{
    /// <summary>Every permission once (13); a repeated name counts once.</summary>
    public const int MaxPermissions = 13;

    /// <summary>A PKCS#10 PEM of an RSA-16384 key is about 6 KB.</summary>
    public const int MaxCsrLength = 16_384;

    public static RouteGroupBuilder MapKmipEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("kmip", StatusAsync).WithName("Kmip_Status").Extension();
        RouteGroupBuilder clients = api.MapGroup("kmip/clients");
        clients.MapPost("", CreateAsync).WithName("KmipClients_Create").JsonBody<CreateKmipClientBody>().Infisical();
        clients.MapGet("", ListAsync).WithName("KmipClients_List").Query<KmipClientListQuery>().Infisical();
        clients.MapGet("{clientId}", GetAsync).WithName("KmipClients_Get").Infisical();
        clients.MapPatch("{clientId}", UpdateAsync).WithName("KmipClients_Update").JsonBody<UpdateKmipClientBody>().Infisical();
        clients.MapDelete("{clientId}", DeleteAsync).WithName("KmipClients_Delete").Infisical();
        clients.MapPost("{clientId}/revoke", RevokeAsync).WithName("KmipClients_Revoke").JsonBody<EmptyBody>().Extension();
        clients.MapPost("{clientId}/certificates", IssueCertificateAsync).WithName("KmipClients_IssueCertificate")
            .JsonBody<IssueKmipCertificateBody>().Infisical();
        clients.MapGet("{clientId}/certificates", ListCertificatesAsync).WithName("KmipClients_ListCertificates").Extension();
        return api;
    }

    /// <summary>Any caller: whether KMIP is on, where, and the CA certificate to trust (never made here).</summary>
    private static async Task<Ok<KmipStatusResponse>> StatusAsync(HttpContext http, IOptions<KmipSettings> settings, KmipCertificateAuthority authority)
    {
        KmipSettings kmip = settings.Value;
        string? ca = await authority.FindCertificatePemAsync(http.RequestAborted);
        return TypedResults.Ok(new KmipStatusResponse(kmip.IsEnabled, kmip.PortNumber, ca));
    }

    private static async Task<Ok<KmipClientDto>> CreateAsync(HttpContext http, KmipClientService clients)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        string? projectId = v.ProjectId(body);
        string? name = v.Slug(body, "name", "Name", 1, KmipClientRules.NameMaxLength, required: true);
        string? description = v.String(body, "description", required: false, max: KmipClientRules.DescriptionMaxLength);
        KmipPermissions? permissions = Permissions(v, body, required: true);
        v.ThrowIfInvalid();
        KmipClient client = await clients.CreateAsync(KmsAuthFilter.Caller(http),
            new CreateKmipClientRequest(projectId!, name!, description, permissions!.Value), http.RequestAborted);
        return TypedResults.Ok(KmipClientDto.From(client));
    }

    private static async Task<Ok<KmipClientListResponse>> ListAsync(HttpContext http, KmipClientService clients)
    {
        var v = RequestValidator.For(http);
        string? projectId = v.Query("projectId");
        if (string.IsNullOrEmpty(projectId))
        {
            v.Fail("projectId", "Required");
        }

        int offset = v.QueryInteger("offset", v.Query("offset"), 0, 0, int.MaxValue);
        int limit = v.QueryInteger("limit", v.Query("limit"), 100, 1, 100);
        v.ThrowIfInvalid();
        string? search = v.Query("search")?.Trim();
        KmipClientPage page = await clients.ListAsync(KmsAuthFilter.Caller(http),
            new ListKmipClientsRequest(projectId!, offset, limit, string.IsNullOrEmpty(search) ? null : search), http.RequestAborted);
        return TypedResults.Ok(new KmipClientListResponse(page.Clients.Select(KmipClientDto.From).ToArray(), page.TotalCount));
    }

    private static async Task<Ok<KmipClientDto>> GetAsync(HttpContext http, string clientId, KmipClientService clients)
    {
        ProjectEndpoints.PathUuid("clientId", clientId);
        return TypedResults.Ok(KmipClientDto.From(await clients.GetAsync(KmsAuthFilter.Caller(http), clientId, http.RequestAborted)));
    }

    private static async Task<Ok<KmipClientDto>> UpdateAsync(HttpContext http, string clientId, KmipClientService clients)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        v.Uuid("clientId", clientId);
        string? name = v.Slug(body, "name", "Name", 1, KmipClientRules.NameMaxLength, required: false);
        string? description = v.String(body, "description", required: false, max: KmipClientRules.DescriptionMaxLength);
        KmipPermissions? permissions = Permissions(v, body, required: false);
        v.ThrowIfInvalid();
        KmipClient client = await clients.UpdateAsync(KmsAuthFilter.Caller(http), clientId,
            new UpdateKmipClientRequest(name, description, permissions), http.RequestAborted);
        return TypedResults.Ok(KmipClientDto.From(client));
    }

    private static async Task<Ok<KmipClientDto>> DeleteAsync(HttpContext http, string clientId, KmipClientService clients)
    {
        ProjectEndpoints.PathUuid("clientId", clientId);
        return TypedResults.Ok(KmipClientDto.From(await clients.DeleteAsync(KmsAuthFilter.Caller(http), clientId, http.RequestAborted)));
    }

    private static async Task<Ok<KmipClientDto>> RevokeAsync(HttpContext http, string clientId, KmipClientService clients)
    {
        await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);   // [BODY] rules apply; members are ignored
        ProjectEndpoints.PathUuid("clientId", clientId);
        return TypedResults.Ok(KmipClientDto.From(await clients.RevokeAsync(KmsAuthFilter.Caller(http), clientId, http.RequestAborted)));
    }

    private static async Task<Ok<KmipIssuedCertificateResponse>> IssueCertificateAsync(HttpContext http, string clientId, KmipClientService clients)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        v.Uuid("clientId", clientId);
        KmipCertificateKeyAlgorithm? algorithm = v.Enum(body, "keyAlgorithm", KmipCertificateKeyAlgorithms.Wire);
        string? csr = v.String(body, "csr", required: false, min: 1, max: MaxCsrLength);
        if (algorithm is not null && csr is not null)
        {
            v.Fail("csr", KmipClientRules.BothKeySources);
        }

        TimeSpan? ttl = null;
        if (v.String(body, "ttl", required: false, min: 1, max: 16) is { } text)
        {
            if (KmipClientRules.TryParseTtl(text, out TimeSpan parsed, out string? problem))
            {
                ttl = parsed;
            }
            else
            {
                v.Fail("ttl", problem!);
            }
        }

        v.ThrowIfInvalid();
        KmipIssuedCertificate issued = await clients.IssueCertificateAsync(KmsAuthFilter.Caller(http), clientId,
            new IssueKmipCertificateRequest(algorithm, csr, ttl), http.RequestAborted);
        return TypedResults.Ok(KmipIssuedCertificateResponse.From(issued));
    }

    private static async Task<Ok<KmipCertificateListResponse>> ListCertificatesAsync(HttpContext http, string clientId, KmipClientService clients)
    {
        ProjectEndpoints.PathUuid("clientId", clientId);
        IReadOnlyList<KmipCertificate> certificates = await clients.ListCertificatesAsync(KmsAuthFilter.Caller(http), clientId, http.RequestAborted);
        return TypedResults.Ok(new KmipCertificateListResponse(certificates.Select(KmipCertificateDto.From).ToArray()));
    }

    /// <summary>An array of permission names (<c>permissions[2]: Invalid enum value…</c> for a wrong one); repeats count once.</summary>
    private static KmipPermissions? Permissions(RequestValidator v, JsonElement body, bool required)
    {
        if (v.Array(body, "permissions", required, 0, MaxPermissions) is not { } array)
        {
            return null;
        }

        KmipPermissions granted = KmipPermissions.None;
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            string field = $"permissions[{i++}]";
            if (v.Text(field, item) is { } text && v.EnumText(field, text, KmipPermissionNames.Wire) is { } permission)
            {
                granted |= permission;
            }
        }

        return granted;
    }
}
