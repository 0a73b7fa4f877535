using InfisicalKms.Tests.Web.Api;
using static InfisicalKms.Tests.Web.Permissions.Right;

namespace InfisicalKms.Tests.Web.Permissions;

/// <summary>A valid request for one caller: path with query, JSON body (none when null), and the 404 message a non-member gets (§9.7).</summary>
public sealed record MatrixRequest(string Path, object? Body = null, string? NotFound = null);

/// <summary>Builds a row's request for one caller; may first make the fresh resources the request changes.</summary>
public delegate Task<MatrixRequest> MatrixRequestFactory(PermissionMatrixFixture api, MatrixWorld world, MatrixCaller caller);

/// <summary>One route of spec §0: its number, method, route pattern as the app registers it, required right, and a valid request.</summary>
public sealed record MatrixRoute(int Number, string Method, string Pattern, Right Right, MatrixRequestFactory Request)
{
    /// <summary>For a route whose valid request still fails for everyone allowed (bootstrap after set-up): that 400 message.</summary>
    public string? AllowedBadRequest { get; init; }

    public string Display => $"{Method} {Pattern}";

    public override string ToString() => $"#{Number} {Display} ({Right})";
}

/// <summary>
/// Spec §0's endpoint index with the required right of every route (§9.6 for cmek, §0.2/§0.3 and §9.4/§9.5 for the
/// rest): the single table the API matrix, the route-table check and the UI matrix all read. A route the app
/// registers without a row here, or a row the app has no route for, fails <see cref="PermissionMatrixApiTests"/>.
/// </summary>
public static class PermissionMatrix
{
    private const string Keys = KeyApi.Keys;
    private const string Ua = "/api/v1/auth/universal-auth/identities";
    private const string Projects = "/api/v1/projects";
    private const string Kmip = "/api/v1/kmip";
    private const string KmipClients = Kmip + "/clients";

    public static readonly IReadOnlyList<MatrixRoute> Routes =
    [
        // §0.1 Keys (subject cmek)
        new(1, "POST", Keys, Cmek("create"), (_, w, _) => Ready(Keys, new { projectId = w.ProjectId, name = KeyApi.UniqueName() }, NoProject(w.ProjectId))),
        new(2, "PATCH", Keys + "/{keyId}", Cmek("edit"), async (api, w, _) => OnKey(await api.CreateKeyAsync(w.ProjectId), "", new { description = "changed" })),
        new(3, "DELETE", Keys + "/{keyId}", Cmek("delete"), async (api, w, _) => OnKey(await api.CreateKeyAsync(w.ProjectId), "")),
        new(4, "GET", Keys, Cmek("read"), (_, w, _) => Ready($"{Keys}?projectId={w.ProjectId}", null, NoProject(w.ProjectId))),
        new(5, "GET", Keys + "/{keyId}", Cmek("read"), (_, w, _) => Ready(OnKey(w.AesKeyId, ""))),
        new(6, "GET", Keys + "/key-name/{keyName}", Cmek("read"), (_, w, _) => Ready($"{Keys}/key-name/{w.AesKeyName}?projectId={w.ProjectId}", null,
            $"Key with name \"{w.AesKeyName}\" not found for project with ID \"{w.ProjectId}\"")),
        new(7, "POST", Keys + "/{keyId}/encrypt", Cmek("encrypt"), (_, w, _) => Ready(OnKey(w.AesKeyId, "/encrypt", new { plaintext = "aGk=" }))),
        new(8, "POST", Keys + "/{keyId}/decrypt", Cmek("decrypt"), (_, w, _) => Ready(OnKey(w.AesKeyId, "/decrypt", new { ciphertext = w.Ciphertext }))),
        new(9, "GET", Keys + "/{keyId}/public-key", Cmek("read"), (_, w, _) => Ready(OnKey(w.EccKeyId, "/public-key"))),
        new(10, "GET", Keys + "/{keyId}/signing-algorithms", Cmek("read"), (_, w, _) => Ready(OnKey(w.EccKeyId, "/signing-algorithms"))),
        new(11, "POST", Keys + "/{keyId}/sign", Cmek("sign"), (_, w, _) => Ready(OnKey(w.EccKeyId, "/sign", new { signingAlgorithm = "ECDSA_SHA_256", data = "aGk=" }))),
        new(12, "POST", Keys + "/{keyId}/verify", Cmek("verify"), (_, w, _) => Ready(OnKey(w.EccKeyId, "/verify",
            new { signingAlgorithm = "ECDSA_SHA_256", data = "aGk=", signature = w.Signature }))),
        new(13, "POST", Keys + "/{keyId}/rotate", Cmek("rotate"), async (api, w, _) => OnKey(await api.CreateKeyAsync(w.ProjectId), "/rotate")),
        new(14, "GET", Keys + "/{keyId}/private-key", Cmek("export-private-key"), (_, w, _) => Ready(OnKey(w.ExportableKeyId, "/private-key"))),
        new(15, "POST", Keys + "/bulk-import", Cmek("create"), (_, w, _) => Ready(Keys + "/bulk-import", new
        {
            projectId = w.ProjectId,
            keys = new[] { new { name = KeyApi.UniqueName("imported"), algorithm = "aes-256-gcm", keyMaterial = PermissionMatrixFixture.AesMaterial() } },
        }, NoProject(w.ProjectId))),
        new(16, "POST", Keys + "/bulk-export-private-keys", Cmek("export-private-key"), (_, w, _) => Ready(Keys + "/bulk-export-private-keys",
            new { keyIds = new[] { w.ExportableKeyId } }, NoKey(w.ExportableKeyId))),
        new(17, "POST", Keys + "/{keyId}/generate-mac", Cmek("generate-mac"), (_, w, _) => Ready(OnKey(w.HmacKeyId, "/generate-mac", new { data = "aGk=" }))),
        new(18, "POST", Keys + "/{keyId}/verify-mac", Cmek("verify-mac"), (_, w, _) => Ready(OnKey(w.HmacKeyId, "/verify-mac", new { data = "aGk=", mac = w.Mac }))),
        new(19, "GET", Keys + "/{keyId}/versions", Cmek("read"), (_, w, _) => Ready(OnKey(w.AesKeyId, "/versions"))),
        new(20, "PUT", Keys + "/{keyId}/rotation-schedule", Cmek("edit", "rotate"), async (api, w, _) =>
            OnKey(await api.CreateKeyAsync(w.ProjectId), "/rotation-schedule", new { enabled = true, intervalDays = 30 })),
        new(21, "POST", Keys + "/{keyId}/data-key", Cmek("encrypt"), (_, w, _) => Ready(OnKey(w.AesKeyId, "/data-key", new { }))),
        new(22, "POST", Keys + "/{keyId}/rewrap", Cmek("decrypt", "encrypt"), (_, w, _) => Ready(OnKey(w.AesKeyId, "/rewrap", new { ciphertext = w.Ciphertext }))),
        new(23, "POST", Keys + "/{keyId}/encrypt/batch", Cmek("encrypt"), (_, w, _) => Ready(OnKey(w.AesKeyId, "/encrypt/batch",
            new { items = new[] { new { plaintext = "aGk=" } } }))),
        new(24, "POST", Keys + "/{keyId}/decrypt/batch", Cmek("decrypt"), (_, w, _) => Ready(OnKey(w.AesKeyId, "/decrypt/batch",
            new { items = new[] { new { ciphertext = w.Ciphertext } } }))),
        new(25, "POST", Keys + "/{keyId}/sign/batch", Cmek("sign"), (_, w, _) => Ready(OnKey(w.EccKeyId, "/sign/batch",
            new { items = new[] { new { signingAlgorithm = "ECDSA_SHA_256", data = "aGk=" } } }))),
        new(26, "POST", Keys + "/{keyId}/verify/batch", Cmek("verify"), (_, w, _) => Ready(OnKey(w.EccKeyId, "/verify/batch",
            new { items = new[] { new { signingAlgorithm = "ECDSA_SHA_256", data = "aGk=", signature = w.Signature } } }))),

        // §0.2 Authentication, organization and projects; the public routes are sent with the caller's token too (§1.2: ignored)
        new(27, "POST", "/api/v1/auth/universal-auth/login", None, (_, _, c) => Ready("/api/v1/auth/universal-auth/login",
            new { clientId = c.ClientId, clientSecret = c.ClientSecret })),
        new(28, "POST", "/api/v1/auth/token/renew", None, (_, _, c) => Ready("/api/v1/auth/token/renew", new { accessToken = c.Token })),
        new(29, "POST", "/api/v1/auth/token/revoke", None, async (api, _, c) => new("/api/v1/auth/token/revoke", new { accessToken = await api.LoginAsync(c) })),
        new(30, "POST", "/api/v1/admin/bootstrap", None, (_, _, _) => Ready("/api/v1/admin/bootstrap",
            new { email = "second@example.com", password = "correct horse battery", organization = "Second Corp" }))
        {
            AllowedBadRequest = "Instance has already been set up",
        },
        new(31, "POST", Projects, OrgAdmin("project", "create"), (_, _, _) => Ready(Projects, new { projectName = "Created " + KeyApi.UniqueName() })),
        new(32, "GET", Projects, AnyCaller, (_, _, _) => Ready(Projects)),
        new(33, "GET", Projects + "/{projectId}", On("project", "read"), (_, w, _) => Ready($"{Projects}/{w.ProjectId}", null, NoProject(w.ProjectId))),
        new(34, "DELETE", Projects + "/{projectId}", On("project", "delete"), async (api, _, c) =>
        {
            string projectId = await api.ProjectWithCallerAsync(c);   // a project of its own, where the caller has its role
            return new($"{Projects}/{projectId}", null, NoProject(projectId));
        }),
        new(35, "POST", "/api/v1/identities", OrgAdmin("identity", "create"), (_, w, _) => Ready("/api/v1/identities",
            new { name = "created-by-matrix", organizationId = w.OrganizationId, role = "member" })),
        new(36, "GET", "/api/v1/identities", OrgAdmin("identity", "read"), (_, w, _) => Ready($"/api/v1/identities?organizationId={w.OrganizationId}")),
        new(37, "DELETE", "/api/v1/identities/{identityId}", OrgAdmin("identity", "delete"), async (api, _, _) =>
            new($"/api/v1/identities/{await api.CreateIdentityAsync()}")),
        new(38, "POST", Ua + "/{identityId}", OrgAdmin("identity", "edit"), async (api, _, _) => new($"{Ua}/{await api.CreateIdentityAsync()}", new { })),
        new(39, "GET", Ua + "/{identityId}", OrgAdmin("identity", "read"), (_, w, _) => Ready($"{Ua}/{w.UaIdentityId}")),
        new(40, "POST", Ua + "/{identityId}/client-secrets", OrgAdmin("identity", "edit"), (_, w, _) => Ready($"{Ua}/{w.UaIdentityId}/client-secrets", new { })),
        new(41, "GET", Ua + "/{identityId}/client-secrets", OrgAdmin("identity", "read"), (_, w, _) => Ready($"{Ua}/{w.UaIdentityId}/client-secrets")),
        new(42, "POST", Ua + "/{identityId}/client-secrets/{clientSecretId}/revoke", OrgAdmin("identity", "edit"), async (api, w, _) =>
            new($"{Ua}/{w.UaIdentityId}/client-secrets/{await api.CreateClientSecretIdAsync(w.UaIdentityId)}/revoke")),
        new(43, "POST", Projects + "/{projectId}/identity-memberships/{identityId}", On("identity", "create"), async (api, w, _) =>
            new($"{Projects}/{w.ProjectId}/identity-memberships/{await api.CreateIdentityAsync()}", new { role = "viewer" }, NoProject(w.ProjectId))),
        new(44, "GET", Projects + "/{projectId}/identity-memberships", On("identity", "read"), (_, w, _) =>
            Ready($"{Projects}/{w.ProjectId}/identity-memberships", null, NoProject(w.ProjectId))),
        new(45, "DELETE", Projects + "/{projectId}/identity-memberships/{identityId}", On("identity", "delete"), async (api, w, _) =>
        {
            string target = await api.CreateIdentityAsync();
            await api.AddIdentityMembershipAsync(w.ProjectId, target, "viewer");
            return new($"{Projects}/{w.ProjectId}/identity-memberships/{target}", null, NoProject(w.ProjectId));
        }),
        new(46, "POST", Projects + "/{projectId}/memberships", On("member", "create"), async (api, w, _) =>
            new($"{Projects}/{w.ProjectId}/memberships", new { email = (await api.CreateUserAsync()).Email, role = "viewer" }, NoProject(w.ProjectId))),
        new(47, "GET", Projects + "/{projectId}/memberships", On("member", "read"), (_, w, _) =>
            Ready($"{Projects}/{w.ProjectId}/memberships", null, NoProject(w.ProjectId))),
        new(48, "DELETE", Projects + "/{projectId}/memberships/{userId}", On("member", "delete"), async (api, w, _) =>
        {
            (string id, string email) = await api.CreateUserAsync();
            await api.AdminSendAsync(HttpMethod.Post, $"{Projects}/{w.ProjectId}/memberships", new { email, role = "viewer" });
            return new($"{Projects}/{w.ProjectId}/memberships/{id}", null, NoProject(w.ProjectId));
        }),

        // §0.3 Audit, health and description
        new(49, "GET", Projects + "/{projectId}/audit-logs", On("audit-logs", "read"), (_, w, _) =>
            Ready($"{Projects}/{w.ProjectId}/audit-logs", null, NoProject(w.ProjectId))),
        new(50, "GET", Projects + "/{projectId}/audit-logs/verify", On("audit-logs", "read"), (_, w, _) =>
            Ready($"{Projects}/{w.ProjectId}/audit-logs/verify", null, NoProject(w.ProjectId))),
        new(51, "GET", "/api/status", None, (_, _, _) => Ready("/api/status")),
        new(52, "GET", "/openapi/{documentName}.json", None, (_, _, _) => Ready("/openapi/v1.json")),   // spec: GET /openapi/v1.json

        // Beyond spec §0: the organization's own chain (issue 15), for organization admins as in the UI.
        new(53, "GET", "/api/v1/organizations/{organizationId}/audit-logs/verify", OrgAdmin("audit-logs", "read"), (_, w, _) =>
            Ready($"/api/v1/organizations/{w.OrganizationId}/audit-logs/verify")),

        // Beyond spec §0: KMIP clients of a project (issue 16, subject kmip); the fixture has KMIP enabled.
        new(54, "GET", Kmip, AnyCaller, (_, _, _) => Ready(Kmip)),
        new(55, "POST", KmipClients, On("kmip", "create-clients"), (_, w, _) => Ready(KmipClients,
            new { projectId = w.ProjectId, name = KeyApi.UniqueName("kmip"), permissions = new[] { "get", "locate" } }, NoProject(w.ProjectId))),
        new(56, "GET", KmipClients, On("kmip", "read-clients"), (_, w, _) => Ready($"{KmipClients}?projectId={w.ProjectId}", null, NoProject(w.ProjectId))),
        new(57, "GET", KmipClients + "/{clientId}", On("kmip", "read-clients"), async (api, w, _) => OnClient(await api.SharedKmipClientAsync(w.ProjectId), "")),
        new(58, "PATCH", KmipClients + "/{clientId}", On("kmip", "update-clients"), async (api, w, _) =>
            OnClient(await api.CreateKmipClientAsync(w.ProjectId), "", new { description = "changed" })),
        new(59, "DELETE", KmipClients + "/{clientId}", On("kmip", "delete-clients"), async (api, w, _) => OnClient(await api.CreateKmipClientAsync(w.ProjectId), "")),
        new(60, "POST", KmipClients + "/{clientId}/revoke", On("kmip", "update-clients"), async (api, w, _) =>
            OnClient(await api.CreateKmipClientAsync(w.ProjectId), "/revoke", new { })),
        new(61, "POST", KmipClients + "/{clientId}/certificates", On("kmip", "generate-client-certificates"), async (api, w, _) =>
            OnClient(await api.SharedKmipClientAsync(w.ProjectId), "/certificates", new { keyAlgorithm = "EC_prime256v1" })),
        new(62, "GET", KmipClients + "/{clientId}/certificates", On("kmip", "read-clients"), async (api, w, _) =>
            OnClient(await api.SharedKmipClientAsync(w.ProjectId), "/certificates")),

        // Beyond spec §0: key usage (issue 17), a summary of the audit log, so it takes the audit log's right.
        new(63, "GET", Keys + "/{keyId}/usage", On("audit-logs", "read"), (_, w, _) => Ready(OnKey(w.AesKeyId, "/usage"))),
        new(64, "GET", Projects + "/{projectId}/usage", On("audit-logs", "read"), (_, w, _) =>
            Ready($"{Projects}/{w.ProjectId}/usage", null, NoProject(w.ProjectId))),
    ];

    public static MatrixRoute Route(int number) => Routes.Single(r => r.Number == number);

    private static Task<MatrixRequest> Ready(string path, object? body = null, string? notFound = null) => Task.FromResult(new MatrixRequest(path, body, notFound));

    private static Task<MatrixRequest> Ready(MatrixRequest request) => Task.FromResult(request);

    /// <summary>A key route: non-members are told the key does not exist (§2.6 K2).</summary>
    private static MatrixRequest OnKey(string keyId, string suffix, object? body = null) => new(KeyApi.Key(keyId) + suffix, body, NoKey(keyId));

    private static string NoKey(string keyId) => $"Key with ID \"{keyId}\" not found";

    /// <summary>A KMIP client route: non-members are told the client does not exist.</summary>
    private static MatrixRequest OnClient(string clientId, string suffix, object? body = null) =>
        new($"{KmipClients}/{clientId}{suffix}", body, $"KMIP client with ID '{clientId}' not found");

    private static string NoProject(string projectId) => $"Project with ID \"{projectId}\" not found";
}
