using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api.Fuzz;

/// <summary>
/// The real server binary with something behind every kind of ID the API takes: a project with a key of each
/// usage, an identity with Universal Auth, a client secret and a project membership. Fuzzed requests name
/// these, so that a request that slipped through validation would meet real data and change it.
/// </summary>
public sealed class FuzzServer : RunningServer
{
    public string ProjectId { get; private set; } = "";

    public string IdentityId { get; private set; } = "";

    public string ClientId { get; private set; } = "";

    public string ClientSecretId { get; private set; } = "";

    /// <summary>Keys by name: one of each usage, and the AES key's ciphertext of a few bytes.</summary>
    public IReadOnlyList<(string Id, string Name)> Keys { get; private set; } = [];

    public string Ciphertext { get; private set; } = "";

    public JsonObject OpenApi { get; private set; } = [];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        ProjectId = (string)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync("/api/v1/projects", new { projectName = "Fuzz" })))["project"]!["id"]!;
        var keys = new List<(string, string)>();
        foreach ((string name, string usage, string algorithm) in new[]
        {
            ("fuzz-aes", "encrypt-decrypt", "aes-256-gcm"),
            ("fuzz-ecc", "sign-verify", "ECC_NIST_P256"),
            ("fuzz-hmac", "generate-verify-mac", "HMAC_SHA_256"),
        })
        {
            JsonObject key = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync("/api/v1/kms/keys",
                new { projectId = ProjectId, name, keyUsage = usage, algorithm, isExportable = true }));
            keys.Add(((string)key["key"]!["id"]!, name));
        }

        Keys = keys;
        Ciphertext = (string)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keys[0].Item1}/encrypt", new { plaintext = "ZnV6eg==" })))["ciphertext"]!;
        IdentityId = (string)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync("/api/v1/identities", new { name = "fuzz-identity", organizationId = OrganizationId })))["identity"]!["id"]!;
        ClientId = (string)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/auth/universal-auth/identities/{IdentityId}", new { })))["identityUniversalAuth"]!["clientId"]!;
        ClientSecretId = (string)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/auth/universal-auth/identities/{IdentityId}/client-secrets", new { })))["clientSecretData"]!["id"]!;
        await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/projects/{ProjectId}/identity-memberships/{IdentityId}", new { role = "member" }));
        OpenApi = await ApiAssert.OkAsync(await Anonymous.GetAsync("/openapi/v1.json"));
    }
}
