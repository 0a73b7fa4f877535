using System.Buffers.Binary;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api.Lifecycle;

/// <summary>
/// Small HTTP helpers for the key-lifecycle tests: projects, keys, callers with a project role, and the
/// routes of issue #5. Every helper asserts the 200 it needs; failures show the server's body.
/// </summary>
public static class LifecycleApi
{
    public const string DecryptionFailed = "Decryption failed: the ciphertext is invalid or was not produced by this key";

    public const string SignVerifyRotation =
        "Only encrypt-decrypt keys support rotation. Rotate sign-verify keys manually by creating a new key and updating your applications to use it.";

    public static async Task<string> CreateProjectAsync(HttpClient admin, string name = "Lifecycle")
    {
        JsonObject body = await ApiAssert.OkAsync(await admin.PostAsJsonAsync("/api/v1/projects", new { projectName = name }));
        return (string)body["project"]!["id"]!;
    }

    public static async Task<JsonObject> CreateKeyAsync(
        HttpClient client, string projectId, string name, string keyUsage = "encrypt-decrypt", string? algorithm = null, bool isExportable = false)
    {
        var body = new JsonObject { ["projectId"] = projectId, ["name"] = name, ["keyUsage"] = keyUsage, ["isExportable"] = isExportable };
        if (algorithm is not null)
        {
            body["algorithm"] = algorithm;
        }

        return (await ApiAssert.OkAsync(await client.PostAsJsonAsync("/api/v1/kms/keys", body)))["key"]!.AsObject();
    }

    public static async Task<JsonObject> GetKeyAsync(HttpClient client, string keyId) =>
        (await ApiAssert.OkAsync(await client.GetAsync($"/api/v1/kms/keys/{keyId}")))["key"]!.AsObject();

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, object body) =>
        client.PostAsJsonAsync(path, body);

    /// <summary>POST with a raw JSON text body (for bodies that are awkward to build as objects).</summary>
    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public static async Task<string> EncryptAsync(HttpClient client, string keyId, byte[] plaintext, string? associatedData = null)
    {
        var body = new JsonObject { ["plaintext"] = Convert.ToBase64String(plaintext) };
        if (associatedData is not null)
        {
            body["associatedData"] = associatedData;
        }

        return (string)(await ApiAssert.OkAsync(await client.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", body)))["ciphertext"]!;
    }

    public static Task<HttpResponseMessage> DecryptAsync(HttpClient client, string keyId, string ciphertext, string? associatedData = null)
    {
        var body = new JsonObject { ["ciphertext"] = ciphertext };
        if (associatedData is not null)
        {
            body["associatedData"] = associatedData;
        }

        return client.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/decrypt", body);
    }

    /// <summary>Decrypts and returns the plaintext bytes, asserting 200.</summary>
    public static async Task<byte[]> DecryptOkAsync(HttpClient client, string keyId, string ciphertext, string? associatedData = null) =>
        Convert.FromBase64String((string)(await ApiAssert.OkAsync(await DecryptAsync(client, keyId, ciphertext, associatedData)))["plaintext"]!);

    public static async Task<JsonObject> RotateAsync(HttpClient client, string keyId) =>
        (await ApiAssert.OkAsync(await client.PostAsync($"/api/v1/kms/keys/{keyId}/rotate", null)))["key"]!.AsObject();

    public static Task<HttpResponseMessage> DisableAsync(HttpClient client, string keyId, bool disabled = true) =>
        client.PatchAsJsonAsync($"/api/v1/kms/keys/{keyId}", new { isDisabled = disabled });

    /// <summary>Bulk-imports one key and returns its ID (asserting the entry succeeded).</summary>
    public static async Task<string> ImportKeyAsync(
        HttpClient client, string projectId, string name, string algorithm, byte[] material, string? keyUsage = null, bool isExportable = false)
    {
        var entry = new JsonObject
        {
            ["name"] = name,
            ["algorithm"] = algorithm,
            ["keyMaterial"] = Convert.ToBase64String(material),
            ["isExportable"] = isExportable,
        };
        if (keyUsage is not null)
        {
            entry["keyUsage"] = keyUsage;
        }

        JsonObject body = await ApiAssert.OkAsync(await client.PostAsJsonAsync("/api/v1/kms/keys/bulk-import",
            new JsonObject { ["projectId"] = projectId, ["keys"] = new JsonArray(entry) }));
        Assert.True(body["errors"]!.AsArray().Count == 0, $"import of {name} failed: {body["errors"]!.ToJsonString()}");
        return (string)body["keys"]![0]!["id"]!;
    }

    /// <summary>
    /// A caller that is a member of <paramref name="projectId"/> with <paramref name="role"/>, or of no project when
    /// <paramref name="role"/> is null: identity, universal auth, client secret, membership, login (spec §8).
    /// </summary>
    public static async Task<HttpClient> CallerAsync(KmsWebApplicationFactory factory, string projectId, string? role) =>
        (await CreateCallerAsync(factory, projectId, role)).Client;

    /// <inheritdoc cref="CallerAsync"/>
    public static async Task<Caller> CreateCallerAsync(KmsWebApplicationFactory factory, string projectId, string? role)
    {
        AdminContext admin = await factory.AdminAsync();
        string name = role ?? "outsider";
        JsonObject identity = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync("/api/v1/identities",
            new { name, organizationId = admin.OrganizationId }));
        string identityId = (string)identity["identity"]!["id"]!;
        JsonObject ua = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync($"/api/v1/auth/universal-auth/identities/{identityId}", new { }));
        string clientId = (string)ua["identityUniversalAuth"]!["clientId"]!;
        JsonObject secret = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync(
            $"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets", new { }));
        if (role is not null)
        {
            await AddMembershipAsync(admin.Client, projectId, identityId, role);
        }

        JsonObject login = await ApiAssert.OkAsync(await factory.CreateClient().PostAsJsonAsync("/api/v1/auth/universal-auth/login",
            new { clientId, clientSecret = (string)secret["clientSecret"]! }));
        return new Caller(factory.Authorized((string)login["accessToken"]!), identityId);
    }

    public static async Task AddMembershipAsync(HttpClient admin, string projectId, string identityId, string role) =>
        await ApiAssert.OkAsync(await admin.PostAsJsonAsync($"/api/v1/projects/{projectId}/identity-memberships/{identityId}", new { role }));

    /// <summary>The key version embedded in a v02 blob, or 1 for a v01 blob; fails for anything else.</summary>
    public static int BlobVersion(string ciphertext)
    {
        byte[] blob = Convert.FromBase64String(ciphertext);
        string suffix = Encoding.ASCII.GetString(blob, blob.Length - 3, 3);
        return suffix switch
        {
            "v01" => 1,
            "v02" => (int)BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(blob.Length - 7, 4)),
            _ => throw new Xunit.Sdk.XunitException($"not a v01/v02 blob: suffix '{suffix}'"),
        };
    }

    /// <summary>Consecutive byte values: <c>Bytes(32, 32)</c> is 20 21 … 3f.</summary>
    public static byte[] Bytes(int first, int count) => Enumerable.Range(first, count).Select(i => (byte)i).ToArray();

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>A unique, valid key name (§4.2) for tests that share one project.</summary>
    public static string Name(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>A batch response's items, asserting how many there are.</summary>
    public static async Task<JsonArray> ItemsAsync(HttpResponseMessage response, int count)
    {
        JsonArray items = (await ApiAssert.OkAsync(response))["items"]!.AsArray();
        Assert.Equal(count, items.Count);
        return items;
    }

    /// <summary>A failed item is <c>{ "error": { statusCode, message } }</c> and nothing else.</summary>
    public static void AssertItemError(JsonNode? item, int statusCode, string message)
    {
        JsonObject result = item!.AsObject();
        Assert.True(result.ContainsKey("error"), $"expected an error item, got {result.ToJsonString()}");
        Assert.Single(result);
        Assert.Equal(statusCode, (int)result["error"]!["statusCode"]!);
        Assert.Equal(message, (string?)result["error"]!["message"]);
    }
}

/// <summary>A logged-in machine identity.</summary>
public sealed record Caller(HttpClient Client, string IdentityId);
