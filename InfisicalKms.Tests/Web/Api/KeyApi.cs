using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>Request helpers and wire-format patterns shared by the key API tests.</summary>
public static partial class KeyApi
{
    public const string Keys = "/api/v1/kms/keys";

    public const string DecryptionFailed = "Decryption failed: the ciphertext is invalid or was not produced by this key";

    /// <summary>A valid key name (§4.2) that no other test uses.</summary>
    public static string UniqueName(string prefix = "k") => prefix + "-" + Guid.NewGuid().ToString("N")[..20];

    public static string Key(string keyId) => $"{Keys}/{keyId}";

    public static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>A body sent verbatim as <c>application/json; charset=utf-8</c>.</summary>
    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string url, string json) =>
        client.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PatchRawAsync(this HttpClient client, string url, string json) =>
        client.PatchAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));

    public static async Task<JsonObject> GetKeyAsync(this HttpClient client, string keyId) =>
        (await ApiAssert.OkAsync(await client.GetAsync(Key(keyId))))["key"]!.AsObject();

    public static async Task<string> EncryptAsync(this HttpClient client, string keyId, string plaintextBase64) =>
        (string)(await ApiAssert.OkAsync(await client.PostAsJsonAsync(Key(keyId) + "/encrypt", new { plaintext = plaintextBase64 })))["ciphertext"]!;

    public static async Task<string> SignAsync(this HttpClient client, string keyId, string algorithm, string dataBase64) =>
        (string)(await ApiAssert.OkAsync(await client.PostAsJsonAsync(Key(keyId) + "/sign",
            new { signingAlgorithm = algorithm, data = dataBase64 })))["signature"]!;

    public static async Task DisableAsync(this HttpClient client, string keyId) =>
        await ApiAssert.OkAsync(await client.PatchAsJsonAsync(Key(keyId), new { isDisabled = true }));

    public static async Task<int> CountKeysAsync(this HttpClient client, string projectId, string? search = null) =>
        (int)(await ApiAssert.OkAsync(await client.GetAsync($"{Keys}?projectId={projectId}&search={search}")))["totalCount"]!;

    public static void AssertTimestamp(JsonNode? value) =>
        Assert.Matches(TimestampPattern(), (string?)value ?? "<null>");

    public static void AssertLowercaseUuid(JsonNode? value) =>
        Assert.Matches(UuidPattern(), (string?)value ?? "<null>");

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")]
    private static partial Regex TimestampPattern();

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex UuidPattern();
}
