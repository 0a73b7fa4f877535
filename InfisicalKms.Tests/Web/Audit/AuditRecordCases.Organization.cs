using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Audit;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api;
using static InfisicalKms.Tests.Web.Audit.Expect;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>
/// The rest of spec §10.7.4: projects, memberships, identities, Universal Auth, client secrets and tokens
/// (§0.2), then failures after step 6 of §1.8, each of which records one <c>failure</c> with its status and error class.
/// </summary>
public static partial class AuditRecordCases
{
    private const string Ua = "/api/v1/auth/universal-auth/identities";

    private static readonly AuditCase[] OrganizationCases =
    [
        new("create-project (first record of the new project's chain)", f =>
        {
            string name = "Audited " + KeyApi.UniqueName();
            return Ready(new(f.Admin.Client, Post, "/api/v1/projects", new { projectName = name },
                body => One(InProject(Id(body["project"]!["id"]), "create-project", null, Meta(("projectName", name))))));
        }),
        new("delete-project (organization chain)", async f =>
        {
            (Guid p, string name) = await NamedProjectAsync(f);
            return new(f.Admin.Client, Delete, $"/api/v1/projects/{p}", null,
                _ => One(InOrganization(f, "delete-project", Meta(("projectId", p.ToString()), ("projectName", name)))));
        }),
        new("create-identity", f => Ready(new(f.Admin.Client, Post, "/api/v1/identities",
            new { name = "created-by-audit", organizationId = f.OrganizationId, role = "member" },
            body => One(InOrganization(f, "create-identity", Meta(("targetIdentityId", (string)body["identity"]!["id"]!))))))),
        new("delete-identity", async f =>
        {
            string id = await AuthTestHelpers.CreateIdentityAsync(f.Admin, "to-delete");
            return new(f.Admin.Client, Delete, $"/api/v1/identities/{id}", null,
                _ => One(InOrganization(f, "delete-identity", Meta(("targetIdentityId", id)))));
        }),
        new("add-identity-universal-auth", async f =>
        {
            string id = await AuthTestHelpers.CreateIdentityAsync(f.Admin, "ua-target");
            return new(f.Admin.Client, Post, $"{Ua}/{id}", new { accessTokenTTL = 60 },
                _ => One(InOrganization(f, "add-identity-universal-auth", Meta(("targetIdentityId", id)))));
        }),
        new("create-identity-universal-auth-client-secret", async f =>
        {
            string id = await AuthTestHelpers.CreateIdentityAsync(f.Admin, "secret-target");
            await AuthTestHelpers.AttachUniversalAuthAsync(f.Admin.Client, id);
            return new(f.Admin.Client, Post, $"{Ua}/{id}/client-secrets", new { description = "audited" },
                body => One(InOrganization(f, "create-identity-universal-auth-client-secret",
                    Meta(("targetIdentityId", id), ("clientSecretId", (string)body["clientSecretData"]!["id"]!)))));
        }),
        new("revoke-identity-universal-auth-client-secret", async f =>
        {
            string id = await AuthTestHelpers.CreateIdentityAsync(f.Admin, "revoke-target");
            await AuthTestHelpers.AttachUniversalAuthAsync(f.Admin.Client, id);
            string secretId = (string)(await AuthTestHelpers.CreateClientSecretAsync(f.Admin.Client, id))["clientSecretData"]!["id"]!;
            return new(f.Admin.Client, Post, $"{Ua}/{id}/client-secrets/{secretId}/revoke", null,
                _ => One(InOrganization(f, "revoke-identity-universal-auth-client-secret", Meta(("targetIdentityId", id), ("clientSecretId", secretId)))));
        }),
        new("add-identity-membership", async f =>
        {
            Guid p = await f.NewProjectAsync();
            string id = await AuthTestHelpers.CreateIdentityAsync(f.Admin, "member-target");
            return new(f.Admin.Client, Post, $"/api/v1/projects/{p}/identity-memberships/{id}", new { role = "cryptographic-operator" },
                _ => One(InProject(p, "add-identity-membership", null, Meta(("targetIdentityId", id), ("role", "cryptographic-operator")))));
        }),
        new("remove-identity-membership", async f =>
        {
            Guid p = await f.NewProjectAsync();
            string id = await AuthTestHelpers.CreateIdentityAsync(f.Admin, "member-target");
            await AuthTestHelpers.AddIdentityMembershipAsync(f.Admin.Client, p.ToString(), id, "viewer");
            return new(f.Admin.Client, Delete, $"/api/v1/projects/{p}/identity-memberships/{id}", null,
                _ => One(InProject(p, "remove-identity-membership", null, Meta(("targetIdentityId", id), ("role", "viewer")))));
        }),
        new("add-user-membership", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid user, string email) = await f.NewUserAsync();
            return new(f.Admin.Client, Post, $"/api/v1/projects/{p}/memberships", new { email = email.ToUpperInvariant(), role = "member" },
                _ => One(InProject(p, "add-user-membership", null, Meta(("targetUserId", user.ToString()), ("role", "member")))));
        }),
        new("remove-user-membership", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid user, string email) = await f.NewUserAsync();
            await f.AdminSendAsync(Post, $"/api/v1/projects/{p}/memberships", new { email, role = "viewer" });
            return new(f.Admin.Client, Delete, $"/api/v1/projects/{p}/memberships/{user}", null,
                _ => One(InProject(p, "remove-user-membership", null, Meta(("targetUserId", user.ToString()), ("role", "viewer")))));
        }),
        new("login-identity-universal-auth", async f =>
        {
            ApiCaller c = await f.CallerAsync(null, null, name: "login-ok");
            return new(f.CreateClient(), Post, "/api/v1/auth/universal-auth/login", new { clientId = c.ClientId, clientSecret = c.ClientSecret },
                _ => One(InOrganization(f, "login-identity-universal-auth", Meta(("clientId", c.ClientId))) with { Actor = Of(c, "login-ok") }));
        }),
        new("login-identity-universal-auth (unknown client ID)", f => Ready(new(f.CreateClient(), Post, "/api/v1/auth/universal-auth/login",
            new { clientId = "Unknown-Client-ID", clientSecret = "irrelevant" },
            _ => One(InOrganization(f, "login-identity-universal-auth", Failed(401, "UnauthorizedError", ("clientId", "Unknown-Client-ID")))
                with { Outcome = "failure", Actor = new AuditActor("identity", null, "") }), 401))),
        new("login-identity-universal-auth (wrong secret)", async f =>
        {
            ApiCaller c = await f.CallerAsync(null, null, name: "login-wrong");
            return new(f.CreateClient(), Post, "/api/v1/auth/universal-auth/login", new { clientId = c.ClientId, clientSecret = new string('0', 64) },
                _ => One(InOrganization(f, "login-identity-universal-auth", Failed(401, "UnauthorizedError", ("clientId", c.ClientId)))
                    with { Outcome = "failure", Actor = Of(c, "login-wrong") }), 401);
        }),
        new("login-identity-universal-auth (client IP outside the secret's trusted IPs: 403 after the credentials)", async f =>
        {
            string id = await AuthTestHelpers.CreateIdentityAsync(f.Admin, "fenced-login");
            string clientId = (string)(await AuthTestHelpers.AttachUniversalAuthAsync(f.Admin.Client, id,
                new { clientSecretTrustedIps = new[] { new { ipAddress = "10.0.0.0/8" } } }))["clientId"]!;
            string secret = (string)(await AuthTestHelpers.CreateClientSecretAsync(f.Admin.Client, id))["clientSecret"]!;
            return new(f.CreateClient(), Post, "/api/v1/auth/universal-auth/login", new { clientId, clientSecret = secret },
                _ => One(InOrganization(f, "login-identity-universal-auth", Failed(403, "ForbiddenError", ("clientId", clientId)))
                    with { Outcome = "failure", Actor = new AuditActor("identity", Guid.Parse(id), "fenced-login") }), 403);
        }),
        new("renew-access-token", async f =>
        {
            ApiCaller c = await f.CallerAsync(null, null, name: "renewer");
            return new(f.CreateClient(), Post, "/api/v1/auth/token/renew", new { accessToken = c.Token },
                _ => One(InOrganization(f, "renew-access-token", Meta()) with { Actor = Of(c, "renewer") }));
        }),
        new("renew-access-token (unknown token)", f => Ready(new(f.CreateClient(), Post, "/api/v1/auth/token/renew", new { accessToken = "no-such-token" },
            _ => One(InOrganization(f, "renew-access-token", Failed(401, "UnauthorizedError"))
                with { Outcome = "failure", Actor = new AuditActor("identity", null, "") }), 401))),
        new("revoke-access-token", async f =>
        {
            ApiCaller c = await f.CallerAsync(null, null, name: "revoker");
            return new(f.CreateClient(), Post, "/api/v1/auth/token/revoke", new { accessToken = c.Token },
                _ => One(InOrganization(f, "revoke-access-token", Meta()) with { Actor = Of(c, "revoker") }));
        }),
        new("bootstrap-instance (after set-up: a failure in the existing organization's chain)", f => Ready(new(f.CreateClient(), Post,
            "/api/v1/admin/bootstrap", new { email = "Second.Admin@Example.com", password = "correct horse battery", organization = "Second Corp" },
            _ => One(InOrganization(f, "bootstrap-instance", Failed(400, "BadRequest"))
                with { Outcome = "failure", Actor = new AuditActor("user", null, "second.admin@example.com") }), 400))),
    ];

    private static readonly AuditCase[] FailureCases =
    [
        new("cmek-encrypt by a viewer (403)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            ApiCaller viewer = await f.CallerAsync(p, "viewer", name: "viewer");
            return new(viewer.Client, Post, KeyApi.Key(k.ToString()) + "/encrypt", new { plaintext = "aGk=" },
                _ => One(InProject(p, "cmek-encrypt", k, Failed(403, "PermissionDenied")) with { Outcome = "failure", Actor = Of(viewer, "viewer") }), 403);
        }),
        new("cmek-encrypt batch by a viewer (403)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            ApiCaller viewer = await f.CallerAsync(p, "viewer", name: "viewer");
            return new(viewer.Client, Post, KeyApi.Key(k.ToString()) + "/encrypt/batch", new { items = new[] { new { plaintext = "aGk=" } } },
                _ => One(InProject(p, "cmek-encrypt", k, Failed(403, "PermissionDenied", ("itemCount", "1")))
                    with { Outcome = "failure", Actor = Of(viewer, "viewer") }), 403);
        }),
        new("get-cmek by a cryptographic operator (403)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            ApiCaller op = await f.CallerAsync(p, "cryptographic-operator", name: "operator");
            return new(op.Client, Get, KeyApi.Key(k.ToString()), null,
                _ => One(InProject(p, "get-cmek", k, Failed(403, "PermissionDenied")) with { Outcome = "failure", Actor = Of(op, "operator") }), 403);
        }),
        new("cmek-import by a viewer (403: one record without a key)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            ApiCaller viewer = await f.CallerAsync(p, "viewer", name: "viewer");
            var keys = new[] { new { name = KeyApi.UniqueName(), algorithm = "aes-256-gcm", keyMaterial = Material(32) } };
            return new(viewer.Client, Post, KeyApi.Keys + "/bulk-import", new { projectId = p, keys },
                _ => One(InProject(p, "cmek-import", null, Failed(403, "PermissionDenied")) with { Outcome = "failure", Actor = Of(viewer, "viewer") }), 403);
        }),
        new("create-project by an organization member (403, organization chain)", async f =>
        {
            ApiCaller member = await f.CallerAsync(null, null, name: "org-member");
            return new(member.Client, Post, "/api/v1/projects", new { projectName = "Refused" },
                _ => One(InOrganization(f, "create-project", Failed(403, "PermissionDenied", ("projectName", "Refused")))
                    with { Outcome = "failure", Actor = Of(member, "org-member") }), 403);
        }),
        new("delete-project by a project member (403, organization chain)", async f =>
        {
            (Guid p, string name) = await NamedProjectAsync(f);
            ApiCaller member = await f.CallerAsync(p, "member", name: "project-member");
            return new(member.Client, Delete, $"/api/v1/projects/{p}", null,
                _ => One(InOrganization(f, "delete-project", Failed(403, "PermissionDenied", ("projectId", p.ToString()), ("projectName", name)))
                    with { Outcome = "failure", Actor = Of(member, "project-member") }), 403);
        }),
        new("create-identity by an organization member (403)", async f =>
        {
            ApiCaller member = await f.CallerAsync(null, null, name: "org-member");
            return new(member.Client, Post, "/api/v1/identities", new { name = "refused", organizationId = f.OrganizationId },
                _ => One(InOrganization(f, "create-identity", Failed(403, "PermissionDenied")) with { Outcome = "failure", Actor = Of(member, "org-member") }), 403);
        }),
        new("delete-identity by an organization member (403)", async f =>
        {
            ApiCaller member = await f.CallerAsync(null, null, name: "org-member");
            string target = await AuthTestHelpers.CreateIdentityAsync(f.Admin, "kept");
            return new(member.Client, Delete, $"/api/v1/identities/{target}", null,
                _ => One(InOrganization(f, "delete-identity", Failed(403, "PermissionDenied", ("targetIdentityId", target)))
                    with { Outcome = "failure", Actor = Of(member, "org-member") }), 403);
        }),
        new("cmek-encrypt on a disabled key (400)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            await f.AdminSendAsync(Patch, KeyApi.Key(k.ToString()), new { isDisabled = true });
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/encrypt", new { plaintext = "aGk=" },
                _ => One(InProject(p, "cmek-encrypt", k, Failed(400, "BadRequest")) with { Outcome = "failure" }), 400);
        }),
        new("cmek-decrypt of a tampered blob (400)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            string blob = Tampered(await EncryptAsync(f, k, "aGk="));
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/decrypt", new { ciphertext = blob },
                _ => One(InProject(p, "cmek-decrypt", k, Failed(400, "BadRequest")) with { Outcome = "failure" }), 400);
        }),
        new("cmek-sign with an algorithm the key cannot use (400)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p, "sign-verify", "ECC_NIST_P256");
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/sign", new { signingAlgorithm = "RSASSA_PSS_SHA_256", data = "aGk=" },
                _ => One(InProject(p, "cmek-sign", k, Failed(400, "BadRequest", ("signingAlgorithm", "RSASSA_PSS_SHA_256"))) with { Outcome = "failure" }), 400);
        }),
        new("cmek-rotate of a sign-verify key (400)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p, "sign-verify", "ECC_NIST_P256");
            return new(f.Admin.Client, Post, KeyApi.Key(k.ToString()) + "/rotate", null,
                _ => One(InProject(p, "cmek-rotate", k, Failed(400, "BadRequest", ("scheduled", "false"))) with { Outcome = "failure" }), 400);
        }),
        new("create-cmek with a taken name (400, no key)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (_, string name) = await f.NewKeyAsync(p);
            return new(f.Admin.Client, Post, KeyApi.Keys, new { projectId = p, name },
                _ => One(InProject(p, "create-cmek", null, Failed(400, "BadRequest", ("keyName", name), ("algorithm", "aes-256-gcm"))) with { Outcome = "failure" }), 400);
        }),
        new("cmek-get-private-key bulk with a non-exportable key (400: one record without a key)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid exportable, _) = await f.NewKeyAsync(p, exportable: true);
            (Guid locked, _) = await f.NewKeyAsync(p);
            return new(f.Admin.Client, Post, KeyApi.Keys + "/bulk-export-private-keys", new { keyIds = new[] { exportable, locked } },
                _ => One(InProject(p, "cmek-get-private-key", null, Failed(400, "BadRequest", ("bulk", "true"))) with { Outcome = "failure" }), 400);
        }),
        new("add-identity-membership of an unknown identity (404 after the permission check)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            string ghost = Guid.NewGuid().ToString();
            return new(f.Admin.Client, Post, $"/api/v1/projects/{p}/identity-memberships/{ghost}", new { role = "viewer" },
                _ => One(InProject(p, "add-identity-membership", null, Failed(404, "NotFound", ("targetIdentityId", ghost), ("role", "viewer")))
                    with { Outcome = "failure" }), 404);
        }),
    ];

    /// <summary>Computed on use: static fields of the partial class's other file may not be initialized yet when this one is.</summary>
    public static IReadOnlyList<AuditCase> All => [.. KeyCases, .. OrganizationCases, .. FailureCases];

    public static TheoryData<string> Names => new(All.Select(c => c.Name));

    public static AuditCase Find(string name) => All.Single(c => c.Name == name);

    private static AuditActor Of(ApiCaller caller, string name) => new("identity", Guid.Parse(caller.IdentityId), name);

    private static Task<AuditScenario> Ready(AuditScenario scenario) => Task.FromResult(scenario);

    private static async Task<(Guid Id, string Name)> NamedProjectAsync(AuditServerFixture f)
    {
        string name = "Doomed " + KeyApi.UniqueName();
        JsonObject body = await ApiAssert.OkAsync(await f.Admin.Client.PostAsJsonAsync("/api/v1/projects", new { projectName = name }));
        return (Guid.Parse((string)body["project"]!["id"]!), name);
    }
}
