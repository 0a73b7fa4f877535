using System.Net.Http.Json;
using System.Text;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>
/// Requests that record nothing (spec §1.8, §10.7): refused at steps 1–5 (route, authentication, body, validation,
/// resolution — an unknown or invisible project, key or identity), and the routes marked "no audit event" or
/// "not audited", reads of the audit log included.
/// </summary>
public static class AuditSilentCases
{
    private const string Ua = "/api/v1/auth/universal-auth/identities";

    public static IReadOnlyList<SilentCase> All { get; } =
    [
        new("404 unknown key", f => Admin(f, HttpMethod.Post, KeyApi.Key(Guid.NewGuid().ToString()) + "/encrypt", Json(new { plaintext = "aGk=" }), 404)),
        new("404 key of a project the caller is not a member of", async f =>
        {
            (Guid k, _) = await f.NewKeyAsync(await f.NewProjectAsync());
            return new((await f.CallerAsync(null, null, name: "outsider")).Client, HttpMethod.Post, KeyApi.Key(k.ToString()) + "/encrypt",
                Json(new { plaintext = "aGk=" }), 404);
        }),
        new("404 key by name in a project the caller is not a member of", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (_, string name) = await f.NewKeyAsync(p);
            return new((await f.CallerAsync(null, null, name: "outsider")).Client, HttpMethod.Get, $"{KeyApi.Keys}/key-name/{name}?projectId={p}", null, 404);
        }),
        new("404 unknown project (list keys)", f => Admin(f, HttpMethod.Get, $"{KeyApi.Keys}?projectId={Guid.NewGuid()}", null, 404)),
        new("404 unknown project (bulk import)", f => Admin(f, HttpMethod.Post, KeyApi.Keys + "/bulk-import", Json(new
        {
            projectId = Guid.NewGuid(),
            keys = new[] { new { name = "k", algorithm = "aes-256-gcm", keyMaterial = Convert.ToBase64String(new byte[32]) } },
        }), 404)),
        new("404 unknown key (bulk export)", f => Admin(f, HttpMethod.Post, KeyApi.Keys + "/bulk-export-private-keys",
            Json(new { keyIds = new[] { Guid.NewGuid() } }), 404)),
        new("404 unknown project (delete)", f => Admin(f, HttpMethod.Delete, $"/api/v1/projects/{Guid.NewGuid()}", null, 404)),
        new("404 unknown identity (delete)", f => Admin(f, HttpMethod.Delete, $"/api/v1/identities/{Guid.NewGuid()}", null, 404)),
        new("404 another organization (create identity)", f => Admin(f, HttpMethod.Post, "/api/v1/identities",
            Json(new { name = "x", organizationId = Guid.NewGuid() }), 404)),
        new("422 keyId not a UUID", f => Admin(f, HttpMethod.Post, KeyApi.Keys + "/not-a-uuid/encrypt", Json(new { plaintext = "aGk=" }), 422)),
        new("422 plaintext not base64", async f =>
        {
            (Guid k, _) = await f.NewKeyAsync(await f.NewProjectAsync());
            return await Admin(f, HttpMethod.Post, KeyApi.Key(k.ToString()) + "/encrypt", Json(new { plaintext = "not base64!" }), 422);
        }),
        new("422 invalid key name", async f => await Admin(f, HttpMethod.Post, KeyApi.Keys,
            Json(new { projectId = await f.NewProjectAsync(), name = "Not_A_Slug" }), 422)),
        new("422 empty batch", async f =>
        {
            (Guid k, _) = await f.NewKeyAsync(await f.NewProjectAsync());
            return await Admin(f, HttpMethod.Post, KeyApi.Key(k.ToString()) + "/encrypt/batch", Json(new { items = Array.Empty<object>() }), 422);
        }),
        new("422 rotation interval out of range", async f =>
        {
            (Guid k, _) = await f.NewKeyAsync(await f.NewProjectAsync());
            return await Admin(f, HttpMethod.Put, KeyApi.Key(k.ToString()) + "/rotation-schedule", Json(new { enabled = true, intervalDays = 0 }), 422);
        }),
        new("422 login without a client secret", f => Anonymous(f, "/api/v1/auth/universal-auth/login", Json(new { clientId = "abc" }), 422)),
        new("422 renew without a token", f => Anonymous(f, "/api/v1/auth/token/renew", Json(new { }), 422)),
        new("422 bootstrap with a short password", f => Anonymous(f, "/api/v1/admin/bootstrap",
            Json(new { email = "x@example.com", password = "short", organization = "X" }), 422)),
        new("401 no token", f => Task.FromResult(new SilentRequest(f.CreateClient(), HttpMethod.Get, $"{KeyApi.Keys}?projectId={Guid.NewGuid()}", null, 401))),
        new("401 unknown token", f => Task.FromResult(new SilentRequest(f.Authorized("not-a-token"), HttpMethod.Get, "/api/v1/projects", null, 401))),
        new("403 IP address not allowed (token)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            (Guid k, _) = await f.NewKeyAsync(p);
            ApiCaller c = await AuthTestHelpers.CreateCallerAsync(f, f.Admin, "fenced", attachBody: new { accessTokenTrustedIps = new[] { new { ipAddress = "10.0.0.0/8" } } });
            await AuthTestHelpers.AddIdentityMembershipAsync(f.Admin.Client, p.ToString(), c.IdentityId, "admin");
            return new(c.Client, HttpMethod.Post, KeyApi.Key(k.ToString()) + "/encrypt", Json(new { plaintext = "aGk=" }), 403);
        }),
        new("400 body not JSON", async f =>
        {
            (Guid k, _) = await f.NewKeyAsync(await f.NewProjectAsync());
            return await Admin(f, HttpMethod.Post, KeyApi.Key(k.ToString()) + "/encrypt", new StringContent("{", Encoding.UTF8, "application/json"), 400);
        }),
        new("415 body not JSON content", async f =>
        {
            (Guid k, _) = await f.NewKeyAsync(await f.NewProjectAsync());
            return await Admin(f, HttpMethod.Post, KeyApi.Key(k.ToString()) + "/encrypt", new StringContent("{}", Encoding.UTF8, "text/plain"), 415);
        }),
        new("404 unknown route", f => Admin(f, HttpMethod.Put, KeyApi.Keys, null, 404)),
        new("read: list projects", f => Admin(f, HttpMethod.Get, "/api/v1/projects", null, 200)),
        new("read: get project", async f => await Admin(f, HttpMethod.Get, $"/api/v1/projects/{await f.NewProjectAsync()}", null, 200)),
        new("read: list identities", f => Admin(f, HttpMethod.Get, $"/api/v1/identities?organizationId={f.OrganizationId}", null, 200)),
        new("read: universal auth and client secrets", async f =>
        {
            string id = await AuthTestHelpers.CreateIdentityAsync(f.Admin, "read-target");
            await AuthTestHelpers.AttachUniversalAuthAsync(f.Admin.Client, id);
            await ApiAssert.OkAsync(await f.Admin.Client.GetAsync($"{Ua}/{id}"));
            return await Admin(f, HttpMethod.Get, $"{Ua}/{id}/client-secrets", null, 200);
        }),
        new("read: get universal auth", async f =>
        {
            string id = await AuthTestHelpers.CreateIdentityAsync(f.Admin, "read-target");
            await AuthTestHelpers.AttachUniversalAuthAsync(f.Admin.Client, id);
            return await Admin(f, HttpMethod.Get, $"{Ua}/{id}", null, 200);
        }),
        new("read: identity memberships", async f => await Admin(f, HttpMethod.Get, $"/api/v1/projects/{await f.NewProjectAsync()}/identity-memberships", null, 200)),
        new("read: user memberships", async f => await Admin(f, HttpMethod.Get, $"/api/v1/projects/{await f.NewProjectAsync()}/memberships", null, 200)),
        new("read: audit log", async f => await Admin(f, HttpMethod.Get, $"/api/v1/projects/{await f.NewProjectAsync()}/audit-logs", null, 200)),
        new("read: audit log verification", async f => await Admin(f, HttpMethod.Get, $"/api/v1/projects/{await f.NewProjectAsync()}/audit-logs/verify", null, 200)),
        new("read: audit log, refused (403)", async f =>
        {
            Guid p = await f.NewProjectAsync();
            return new((await f.CallerAsync(p, "cryptographic-operator", name: "operator")).Client, HttpMethod.Get, $"/api/v1/projects/{p}/audit-logs", null, 403);
        }),
        new("read: status", f => Admin(f, HttpMethod.Get, "/api/status", null, 200)),
        new("read: OpenAPI description", f => Admin(f, HttpMethod.Get, "/openapi/v1.json", null, 200)),
    ];

    public static TheoryData<string> Names => new(All.Select(c => c.Name));

    public static SilentCase Get(string name) => All.Single(c => c.Name == name);

    private static HttpContent Json(object body) => JsonContent.Create(body);

    private static Task<SilentRequest> Admin(AuditServerFixture f, HttpMethod method, string path, HttpContent? content, int status) =>
        Task.FromResult(new SilentRequest(f.Admin.Client, method, path, content, status));

    private static Task<SilentRequest> Anonymous(AuditServerFixture f, string path, HttpContent content, int status) =>
        Task.FromResult(new SilentRequest(f.CreateClient(), HttpMethod.Post, path, content, status));
}
