using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>
/// Project roles on subject <c>cmek</c> (spec §9.3) for every key and crypto route in §7.1–§7.12, and
/// "not a member → 404" (§9.7), including callers that are admins of another project.
/// </summary>
[Collection(KeyApiCollection.Name)]
public sealed class KeyPermissionTests(KeyApiFixture api)
{
    /// <summary>Route → the action it needs on <c>cmek</c> (§9.6).</summary>
    private static readonly Dictionary<string, string> Actions = new()
    {
        ["create"] = "create", ["update"] = "edit", ["delete"] = "delete", ["list"] = "read", ["get"] = "read",
        ["get-by-name"] = "read", ["encrypt"] = "encrypt", ["decrypt"] = "decrypt", ["public-key"] = "read",
        ["signing-algorithms"] = "read", ["sign"] = "sign", ["verify"] = "verify",
    };

    /// <summary>The rows of §9.3 for the actions above.</summary>
    private static readonly Dictionary<string, string[]> Granted = new()
    {
        ["admin"] = ["read", "create", "edit", "delete", "encrypt", "decrypt", "sign", "verify"],
        ["member"] = ["read", "create", "edit", "delete", "encrypt", "decrypt", "sign", "verify"],
        ["viewer"] = ["read"],
        ["cryptographic-operator"] = ["encrypt", "decrypt", "sign", "verify"],
        ["no-access"] = [],
    };

    public static TheoryData<string, string, bool> Matrix
    {
        get
        {
            var data = new TheoryData<string, string, bool>();
            foreach ((string role, string[] granted) in Granted)
            {
                foreach ((string route, string action) in Actions)
                {
                    data.Add(role, route, granted.Contains(action));
                }
            }

            return data;
        }
    }

    public static TheoryData<string> Routes => new(Actions.Keys);

    private sealed record Setup(string ProjectId, string AesKeyId, string AesKeyName, string EccKeyId, string Ciphertext, string Signature,
        Dictionary<string, HttpClient> Callers);

    private Task<Setup> SetupAsync() => api.SharedAsync("permissions", async () =>
    {
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await api.CreateProjectAsync();
        JsonObject aes = await api.CreateKeyAsync(projectId);
        string ecc = await api.CreateKeyIdAsync(projectId, "sign-verify", "ECC_NIST_P256");
        var callers = new Dictionary<string, HttpClient> { ["outsider"] = await api.CallerAsync(await api.CreateProjectAsync(), "admin") };
        foreach (string role in Granted.Keys)
        {
            callers[role] = await api.CallerAsync(projectId, role);
        }

        return new Setup(projectId, (string)aes["id"]!, (string)aes["name"]!, ecc,
            await admin.EncryptAsync((string)aes["id"]!, "aGk="), await admin.SignAsync(ecc, "ECDSA_SHA_256", "aGk="), callers);
    });

    /// <summary>Sends the route as <paramref name="caller"/>; update and delete act on <paramref name="freshKeyId"/>.</summary>
    private static Task<HttpResponseMessage> SendAsync(HttpClient caller, string route, Setup s, string freshKeyId, string newName) => route switch
    {
        "create" => caller.PostAsJsonAsync(KeyApi.Keys, new { projectId = s.ProjectId, name = newName }),
        "update" => caller.PatchAsJsonAsync(KeyApi.Key(freshKeyId), new { description = "changed" }),
        "delete" => caller.DeleteAsync(KeyApi.Key(freshKeyId)),
        "list" => caller.GetAsync($"{KeyApi.Keys}?projectId={s.ProjectId}"),
        "get" => caller.GetAsync(KeyApi.Key(s.AesKeyId)),
        "get-by-name" => caller.GetAsync($"{KeyApi.Keys}/key-name/{s.AesKeyName}?projectId={s.ProjectId}"),
        "encrypt" => caller.PostAsJsonAsync(KeyApi.Key(s.AesKeyId) + "/encrypt", new { plaintext = "aGk=" }),
        "decrypt" => caller.PostAsJsonAsync(KeyApi.Key(s.AesKeyId) + "/decrypt", new { ciphertext = s.Ciphertext }),
        "public-key" => caller.GetAsync(KeyApi.Key(s.EccKeyId) + "/public-key"),
        "signing-algorithms" => caller.GetAsync(KeyApi.Key(s.EccKeyId) + "/signing-algorithms"),
        "sign" => caller.PostAsJsonAsync(KeyApi.Key(s.EccKeyId) + "/sign", new { signingAlgorithm = "ECDSA_SHA_256", data = "aGk=" }),
        _ => caller.PostAsJsonAsync(KeyApi.Key(s.EccKeyId) + "/verify", new { signingAlgorithm = "ECDSA_SHA_256", data = "aGk=", signature = s.Signature }),
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task KeyRoute_ProjectRole_AllowedOrForbiddenPerRoleMatrix(string role, string route, bool allowed)
    {
        // Arrange
        Setup s = await SetupAsync();
        HttpClient admin = await api.AdminClientAsync();
        JsonObject? fresh = route is "update" or "delete" ? await api.CreateKeyAsync(s.ProjectId) : null;
        string newName = KeyApi.UniqueName();

        // Act
        HttpResponseMessage response = await SendAsync(s.Callers[role], route, s, (string?)fresh?["id"] ?? "", newName);

        // Assert
        if (allowed)
        {
            JsonObject body = await ApiAssert.OkAsync(response);
            Assert.True(route != "verify" || (bool)body["signatureValid"]!);
        }
        else
        {
            await ApiAssert.ErrorAsync(response, 403, "PermissionDenied", $"You are not allowed to {Actions[route]} on cmek");
        }

        await AssertStoredStateAsync(admin, s, route, fresh, newName, changed: allowed);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task KeyRoute_CallerWithoutMembership_Returns404AndChangesNothing(string route)
    {
        Setup s = await SetupAsync();
        HttpClient admin = await api.AdminClientAsync();
        JsonObject? fresh = route is "update" or "delete" ? await api.CreateKeyAsync(s.ProjectId) : null;
        string newName = KeyApi.UniqueName();
        HttpResponseMessage response = await SendAsync(s.Callers["outsider"], route, s, (string?)fresh?["id"] ?? "", newName);
        string message = route switch
        {
            "create" or "list" => $"Project with ID \"{s.ProjectId}\" not found",
            "get-by-name" => $"Key with name \"{s.AesKeyName}\" not found for project with ID \"{s.ProjectId}\"",
            "update" or "delete" => $"Key with ID \"{fresh!["id"]}\" not found",
            "encrypt" or "decrypt" or "get" => $"Key with ID \"{s.AesKeyId}\" not found",
            _ => $"Key with ID \"{s.EccKeyId}\" not found",
        };
        await ApiAssert.ErrorAsync(response, 404, "NotFound", message);
        await AssertStoredStateAsync(admin, s, route, fresh, newName, changed: false);
    }

    /// <summary>Create made a key only if it succeeded; update and delete changed the key only if they succeeded.</summary>
    private static async Task AssertStoredStateAsync(HttpClient admin, Setup s, string route, JsonObject? fresh, string newName, bool changed)
    {
        HttpResponseMessage byName = await admin.GetAsync($"{KeyApi.Keys}/key-name/{newName}?projectId={s.ProjectId}");
        Assert.Equal(changed && route == "create" ? 200 : 404, (int)byName.StatusCode);
        if (fresh is null)
        {
            return;
        }

        HttpResponseMessage after = await admin.GetAsync(KeyApi.Key((string)fresh["id"]!));
        Assert.Equal(changed && route == "delete" ? 404 : 200, (int)after.StatusCode);
        if (!changed)
        {
            Assert.Equal(fresh.ToJsonString(), (await ApiAssert.OkAsync(after))["key"]!.ToJsonString());
        }
        else if (route == "update")
        {
            Assert.Equal("changed", (string?)(await ApiAssert.OkAsync(after))["key"]!["description"]);
        }
    }

    [Fact]
    public async Task GetByName_OwnProjectIdWithForeignKeyName_Returns404()
    {
        Setup s = await SetupAsync();
        HttpClient outsider = s.Callers["outsider"];
        JsonObject projects = await ApiAssert.OkAsync(await outsider.GetAsync("/api/v1/projects"));
        string ownProject = (string)Assert.Single(projects["projects"]!.AsArray())!["id"]!;
        await ApiAssert.ErrorAsync(await outsider.GetAsync($"{KeyApi.Keys}/key-name/{s.AesKeyName}?projectId={ownProject}"), 404, "NotFound",
            $"Key with name \"{s.AesKeyName}\" not found for project with ID \"{ownProject}\"");
    }

    [Theory]
    [InlineData("viewer", "aes", "/encrypt", "You are not allowed to encrypt on cmek")]
    [InlineData("cryptographic-operator", "ecc", "/public-key", "You are not allowed to read on cmek")]
    [InlineData("cryptographic-operator", "ecc", "/signing-algorithms", "You are not allowed to read on cmek")]
    [InlineData("viewer", "aes", "/sign", "You are not allowed to sign on cmek")]
    [InlineData("no-access", "aes", "/verify", "You are not allowed to verify on cmek")]
    public async Task KeyRoute_RoleLacksAction_Returns403BeforeDisabledAndUsageChecks(string role, string key, string path, string message)
    {
        Setup s = await SetupAsync();
        HttpClient admin = await api.AdminClientAsync();
        string keyId = await api.CreateKeyIdAsync(s.ProjectId, key == "ecc" ? "sign-verify" : null, key == "ecc" ? "ECC_NIST_P256" : null);
        await admin.DisableAsync(keyId);
        const string body = """{"plaintext":"aGk=","signingAlgorithm":"ECDSA_SHA_256","data":"aGk=","signature":"aGk="}""";
        HttpResponseMessage response = path is "/public-key" or "/signing-algorithms"
            ? await s.Callers[role].GetAsync(KeyApi.Key(keyId) + path)
            : await s.Callers[role].PostRawAsync(KeyApi.Key(keyId) + path, body);
        await ApiAssert.ErrorAsync(response, 403, "PermissionDenied", message);
    }

    [Theory]
    [InlineData("outsider")]
    [InlineData("viewer")]
    public async Task Encrypt_InvalidBodyFromAnyCaller_Returns422First(string caller)
    {
        Setup s = await SetupAsync();
        await ApiAssert.ErrorAsync(await s.Callers[caller].PostRawAsync(KeyApi.Key(s.AesKeyId) + "/encrypt", """{"plaintext":"%"}"""),
            422, "ValidationFailure", "plaintext: plaintext must be base64 encoded");
    }

    [Fact]
    public async Task KeyRoute_MissingOrInvalidToken_Returns401()
    {
        Setup s = await SetupAsync();
        await ApiAssert.ErrorAsync(await api.CreateClient().GetAsync(KeyApi.Key(s.AesKeyId)), 401, "UnauthorizedError", "Token missing");
        await ApiAssert.ErrorAsync(await api.Authorized("not-a-token").PostRawAsync(KeyApi.Key(s.AesKeyId) + "/encrypt", "{}"), 401, "UnauthorizedError", "Invalid token");
    }
}
