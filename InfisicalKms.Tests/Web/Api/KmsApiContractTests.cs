using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Api;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>
/// Pins every API endpoint's name, method, route pattern and label (spec §0) as the app registers them.
/// A route added, renamed or moved must be added to this table deliberately.
/// </summary>
[Collection(ApiDescriptionCollection.Name)]
public sealed class KmsApiContractTests(KmsWebApplicationFactory factory)
{
    /// <summary>The implemented routes of spec §0, with their labels.</summary>
    public static readonly IReadOnlyList<ApiRoute> Routes =
    [
        new("Keys_Create", "POST", "/api/v1/kms/keys", "infisical"),
        new("Keys_Update", "PATCH", "/api/v1/kms/keys/{keyId}", "infisical"),
        new("Keys_Delete", "DELETE", "/api/v1/kms/keys/{keyId}", "infisical"),
        new("Keys_List", "GET", "/api/v1/kms/keys", "infisical"),
        new("Keys_Get", "GET", "/api/v1/kms/keys/{keyId}", "infisical"),
        new("Keys_GetByName", "GET", "/api/v1/kms/keys/key-name/{keyName}", "infisical"),
        new("Keys_Encrypt", "POST", "/api/v1/kms/keys/{keyId}/encrypt", "infisical"),
        new("Keys_Decrypt", "POST", "/api/v1/kms/keys/{keyId}/decrypt", "infisical"),
        new("Keys_PublicKey", "GET", "/api/v1/kms/keys/{keyId}/public-key", "infisical"),
        new("Keys_SigningAlgorithms", "GET", "/api/v1/kms/keys/{keyId}/signing-algorithms", "infisical"),
        new("Keys_Sign", "POST", "/api/v1/kms/keys/{keyId}/sign", "infisical"),
        new("Keys_Verify", "POST", "/api/v1/kms/keys/{keyId}/verify", "infisical"),
        new("Keys_Rotate", "POST", "/api/v1/kms/keys/{keyId}/rotate", "infisical"),
        new("Keys_PrivateKey", "GET", "/api/v1/kms/keys/{keyId}/private-key", "infisical"),
        new("Keys_BulkImport", "POST", "/api/v1/kms/keys/bulk-import", "infisical"),
        new("Keys_BulkExport", "POST", "/api/v1/kms/keys/bulk-export-private-keys", "infisical"),
        new("Keys_GenerateMac", "POST", "/api/v1/kms/keys/{keyId}/generate-mac", "infisical"),
        new("Keys_VerifyMac", "POST", "/api/v1/kms/keys/{keyId}/verify-mac", "infisical"),
        new("Keys_Versions", "GET", "/api/v1/kms/keys/{keyId}/versions", "extension"),
        new("Keys_RotationSchedule", "PUT", "/api/v1/kms/keys/{keyId}/rotation-schedule", "extension"),
        new("Keys_DataKey", "POST", "/api/v1/kms/keys/{keyId}/data-key", "extension"),
        new("Keys_Rewrap", "POST", "/api/v1/kms/keys/{keyId}/rewrap", "extension"),
        new("Keys_EncryptBatch", "POST", "/api/v1/kms/keys/{keyId}/encrypt/batch", "extension"),
        new("Keys_DecryptBatch", "POST", "/api/v1/kms/keys/{keyId}/decrypt/batch", "extension"),
        new("Keys_SignBatch", "POST", "/api/v1/kms/keys/{keyId}/sign/batch", "extension"),
        new("Keys_VerifyBatch", "POST", "/api/v1/kms/keys/{keyId}/verify/batch", "extension"),
        new("Auth_Login", "POST", "/api/v1/auth/universal-auth/login", "infisical"),
        new("Auth_Renew", "POST", "/api/v1/auth/token/renew", "infisical"),
        new("Auth_Revoke", "POST", "/api/v1/auth/token/revoke", "infisical"),
        new("Admin_Bootstrap", "POST", "/api/v1/admin/bootstrap", "infisical"),
        new("Projects_Create", "POST", "/api/v1/projects", "infisical"),
        new("Projects_List", "GET", "/api/v1/projects", "infisical"),
        new("Projects_Get", "GET", "/api/v1/projects/{projectId}", "infisical"),
        new("Projects_Delete", "DELETE", "/api/v1/projects/{projectId}", "infisical"),
        new("Identities_Create", "POST", "/api/v1/identities", "infisical"),
        new("Identities_List", "GET", "/api/v1/identities", "extension"),
        new("Identities_Delete", "DELETE", "/api/v1/identities/{identityId}", "infisical"),
        new("UniversalAuth_Attach", "POST", "/api/v1/auth/universal-auth/identities/{identityId}", "infisical"),
        new("UniversalAuth_Get", "GET", "/api/v1/auth/universal-auth/identities/{identityId}", "infisical"),
        new("ClientSecrets_Create", "POST", "/api/v1/auth/universal-auth/identities/{identityId}/client-secrets", "infisical"),
        new("ClientSecrets_List", "GET", "/api/v1/auth/universal-auth/identities/{identityId}/client-secrets", "infisical"),
        new("ClientSecrets_Revoke", "POST", "/api/v1/auth/universal-auth/identities/{identityId}/client-secrets/{clientSecretId}/revoke", "infisical"),
        new("IdentityMemberships_Add", "POST", "/api/v1/projects/{projectId}/identity-memberships/{identityId}", "infisical"),
        new("IdentityMemberships_List", "GET", "/api/v1/projects/{projectId}/identity-memberships", "extension"),
        new("IdentityMemberships_Remove", "DELETE", "/api/v1/projects/{projectId}/identity-memberships/{identityId}", "infisical"),
        new("UserMemberships_Add", "POST", "/api/v1/projects/{projectId}/memberships", "extension"),
        new("UserMemberships_List", "GET", "/api/v1/projects/{projectId}/memberships", "extension"),
        new("UserMemberships_Remove", "DELETE", "/api/v1/projects/{projectId}/memberships/{userId}", "extension"),
        new("AuditLogs_List", "GET", "/api/v1/projects/{projectId}/audit-logs", "extension"),
        new("AuditLogs_Verify", "GET", "/api/v1/projects/{projectId}/audit-logs/verify", "extension"),
        new("AuditLogs_VerifyOrganization", "GET", "/api/v1/organizations/{organizationId}/audit-logs/verify", "extension"),
        new("Keys_Usage", "GET", "/api/v1/kms/keys/{keyId}/usage", "extension"),
        new("Projects_Usage", "GET", "/api/v1/projects/{projectId}/usage", "extension"),
        new("Status", "GET", "/api/status", "extension"),
        new("Kmip_Status", "GET", "/api/v1/kmip", "extension"),
        new("KmipClients_Create", "POST", "/api/v1/kmip/clients", "infisical"),
        new("KmipClients_List", "GET", "/api/v1/kmip/clients", "infisical"),
        new("KmipClients_Get", "GET", "/api/v1/kmip/clients/{clientId}", "infisical"),
        new("KmipClients_Update", "PATCH", "/api/v1/kmip/clients/{clientId}", "infisical"),
        new("KmipClients_Delete", "DELETE", "/api/v1/kmip/clients/{clientId}", "infisical"),
        new("KmipClients_Revoke", "POST", "/api/v1/kmip/clients/{clientId}/revoke", "extension"),
        new("KmipClients_IssueCertificate", "POST", "/api/v1/kmip/clients/{clientId}/certificates", "infisical"),
        new("KmipClients_ListCertificates", "GET", "/api/v1/kmip/clients/{clientId}/certificates", "extension"),
    ];

    [Fact]
    public void EndpointDataSource_ApiEndpoints_MatchContractTable()
    {
        List<ApiRoute> actual = ApiEndpoints(factory.Services.GetRequiredService<EndpointDataSource>());

        IEnumerable<ApiRoute> missing = Routes.Except(actual);
        IEnumerable<ApiRoute> unexpected = actual.Except(Routes);
        Assert.True(!missing.Any() && !unexpected.Any(),
            $"missing: {string.Join(", ", missing)}\nunexpected: {string.Join(", ", unexpected)}");
        Assert.Equal(actual.Count, actual.Select(r => r.Name).Distinct().Count());
    }

    /// <summary>
    /// Every endpoint under /api/ as (name, single method, pattern, label). The pattern is rebuilt from the
    /// parsed segments with any route constraints, so a trailing slash left by MapGroup does not count but a
    /// constraint such as <c>{keyId:guid}</c> (which would turn spec §2.6's 422 into a 404) does. The API
    /// reference's page and scripts (<see cref="ApiReference.Path"/>) are not API routes.
    /// </summary>
    public static List<ApiRoute> ApiEndpoints(EndpointDataSource source) =>
        source.Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Endpoint: e, Pattern: Canonical(e.RoutePattern)))
            .Where(e => e.Pattern.StartsWith("/api/", StringComparison.Ordinal)
                && !e.Pattern.StartsWith(ApiReference.Path + "/", StringComparison.Ordinal))
            .Select(e => new ApiRoute(
                e.Endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? "(unnamed)",
                string.Join(",", e.Endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["(any)"]),
                e.Pattern,
                e.Endpoint.Metadata.GetMetadata<CompatibilityLabel>()?.Value ?? "(unlabelled)"))
            .ToList();

    private static string Canonical(RoutePattern pattern) =>
        "/" + string.Join("/", pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter =>
                "{" + parameter.Name + string.Concat(parameter.ParameterPolicies.Select(p => ":" + p.Content)) + "}",
            _ => part.ToString(),
        }))));

    public sealed record ApiRoute(string Name, string Method, string Pattern, string Label);
}
