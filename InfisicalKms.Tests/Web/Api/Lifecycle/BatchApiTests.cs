using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.Lifecycle.LifecycleApi;

namespace InfisicalKms.Tests.Web.Api.Lifecycle;

/// <summary>The four batch routes (spec §10.6): per-item results and errors, and whole-request failures.</summary>
public sealed class BatchApiTests(LifecycleServerFixture server) : IClassFixture<LifecycleServerFixture>
{
    private const string NotBase64 = "not base64!";

    private HttpClient Admin => server.Admin;

    [Fact]
    public async Task EncryptBatch_MixedItems_EachSucceedsOrFailsAloneInOrderAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("eb")))["id"]!;
        await RotateAsync(Admin, keyId);
        string aad = Base64("batch-aad");
        string json = $$"""
            { "items": [
                { "plaintext": "{{Base64("first")}}" },
                { "plaintext": "{{NotBase64}}" },
                "just a string",
                { "plaintext": "{{Base64("with aad")}}", "associatedData": "{{aad}}" },
                {},
                { "plaintext": "" },
                { "plaintext": 5, "associatedData": "%%" }
            ] }
            """;

        JsonArray items = await ItemsAsync(await PostJsonAsync(Admin, $"/api/v1/kms/keys/{keyId}/encrypt/batch", json), 7);

        Assert.Equal(Encoding.UTF8.GetBytes("first"), await DecryptOkAsync(Admin, keyId, (string)items[0]!["ciphertext"]!));
        Assert.Equal(2, BlobVersion((string)items[0]!["ciphertext"]!));
        AssertItemError(items[1], 422, "plaintext: plaintext must be base64 encoded");
        AssertItemError(items[2], 422, "item: Expected object, received string");
        Assert.Equal(Encoding.UTF8.GetBytes("with aad"), await DecryptOkAsync(Admin, keyId, (string)items[3]!["ciphertext"]!, aad));
        AssertItemError(items[4], 422, "plaintext: Required");
        Assert.Empty(await DecryptOkAsync(Admin, keyId, (string)items[5]!["ciphertext"]!));
        AssertItemError(items[6], 422, "plaintext: Expected string, received number; associatedData: associatedData must be base64 encoded");
    }

    [Fact]
    public async Task DecryptBatch_MixedItems_EachSucceedsOrFailsAloneInOrderAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("db")))["id"]!;
        string v1 = await EncryptAsync(Admin, keyId, Encoding.UTF8.GetBytes("old"));
        await RotateAsync(Admin, keyId);
        string aad = Base64("ctx");
        string v2 = await EncryptAsync(Admin, keyId, Encoding.UTF8.GetBytes("new"), aad);
        byte[] tampered = Convert.FromBase64String(v2);
        tampered[^9] ^= 0x01;   // inside the tag
        var body = new JsonObject
        {
            ["items"] = new JsonArray(
                new JsonObject { ["ciphertext"] = v1 },
                new JsonObject { ["ciphertext"] = Convert.ToBase64String(tampered), ["associatedData"] = aad },
                new JsonObject { ["ciphertext"] = v2, ["associatedData"] = aad },
                new JsonObject { ["ciphertext"] = v2 },
                new JsonObject { ["ciphertext"] = NotBase64 },
                42,
                new JsonObject { ["ciphertext"] = "AAAA" }),
        };

        JsonArray items = await ItemsAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/decrypt/batch", body), 7);

        Assert.Equal(Base64("old"), (string?)items[0]!["plaintext"]);
        AssertItemError(items[1], 400, DecryptionFailed);
        Assert.Equal(Base64("new"), (string?)items[2]!["plaintext"]);
        AssertItemError(items[3], 400, DecryptionFailed);
        AssertItemError(items[4], 422, "ciphertext: ciphertext must be base64 encoded");
        AssertItemError(items[5], 422, "item: Expected object, received number");
        AssertItemError(items[6], 400, DecryptionFailed);
    }

    [Fact]
    public async Task SignAndVerifyBatch_MixedItems_EachSucceedsOrFailsAloneInOrderAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("sb"), "sign-verify", "ECC_NIST_P256"))["id"]!;
        string data = Base64("sign me");
        string digest = Convert.ToBase64String(SHA384.HashData(Encoding.UTF8.GetBytes("sign me")));
        var signBody = new JsonObject
        {
            ["items"] = new JsonArray(
                new JsonObject { ["data"] = data, ["signingAlgorithm"] = "ECDSA_SHA_256" },
                new JsonObject { ["data"] = data, ["signingAlgorithm"] = "RSASSA_PSS_SHA_256" },
                new JsonObject { ["data"] = data, ["signingAlgorithm"] = "ECDSA_SHA_1" },
                "text",
                new JsonObject { ["data"] = digest, ["signingAlgorithm"] = "ECDSA_SHA_384", ["isDigest"] = true },
                new JsonObject { ["data"] = data, ["signingAlgorithm"] = "ECDSA_SHA_384", ["isDigest"] = true },
                new JsonObject { ["signingAlgorithm"] = "ECDSA_SHA_256", ["data"] = NotBase64 }),
        };

        JsonArray signed = await ItemsAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/sign/batch", signBody), 7);

        Assert.Equal("ECDSA_SHA_256", (string?)signed[0]!["signingAlgorithm"]);
        AssertItemError(signed[1], 400, "KMS ECC key cannot be used with RSASSA_PSS_SHA_256");
        AssertItemError(signed[2], 422, "signingAlgorithm: Invalid enum value. Expected 'RSASSA_PSS_SHA_512' | 'RSASSA_PSS_SHA_384' | 'RSASSA_PSS_SHA_256' | " +
            "'RSASSA_PKCS1_V1_5_SHA_512' | 'RSASSA_PKCS1_V1_5_SHA_384' | 'RSASSA_PKCS1_V1_5_SHA_256' | 'ECDSA_SHA_512' | 'ECDSA_SHA_384' | 'ECDSA_SHA_256', received 'ECDSA_SHA_1'");
        AssertItemError(signed[3], 422, "item: Expected object, received string");
        Assert.Equal("ECDSA_SHA_384", (string?)signed[4]!["signingAlgorithm"]);
        AssertItemError(signed[5], 400,
            "Failed to sign ECC digest with ECDSA_SHA_384 due to signing error. Ensure that your digest is hashed with SHA384.");
        AssertItemError(signed[6], 422, "data: data must be base64 encoded");

        string signature = (string)signed[0]!["signature"]!;
        string digestSignature = (string)signed[4]!["signature"]!;
        var verifyBody = new JsonObject
        {
            ["items"] = new JsonArray(
                new JsonObject { ["data"] = data, ["signature"] = signature, ["signingAlgorithm"] = "ECDSA_SHA_256" },
                new JsonObject { ["data"] = Base64("other"), ["signature"] = signature, ["signingAlgorithm"] = "ECDSA_SHA_256" },
                new JsonObject { ["data"] = data, ["signature"] = signature, ["signingAlgorithm"] = "RSASSA_PKCS1_V1_5_SHA_256" },
                new JsonObject { ["data"] = data, ["signingAlgorithm"] = "ECDSA_SHA_256" },
                new JsonObject { ["data"] = data, ["signature"] = digestSignature, ["signingAlgorithm"] = "ECDSA_SHA_384" },
                new JsonObject { ["data"] = data, ["signature"] = Base64("garbage"), ["signingAlgorithm"] = "ECDSA_SHA_256" },
                true),
        };

        JsonArray verified = await ItemsAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/verify/batch", verifyBody), 7);

        Assert.True((bool)verified[0]!["signatureValid"]!);
        Assert.Equal("ECDSA_SHA_256", (string?)verified[0]!["signingAlgorithm"]);
        Assert.False((bool)verified[1]!["signatureValid"]!);
        AssertItemError(verified[2], 400, "KMS ECC key cannot be used with RSASSA_PKCS1_V1_5_SHA_256");
        AssertItemError(verified[3], 422, "signature: Required");
        Assert.True((bool)verified[4]!["signatureValid"]!);   // a digest signature verifies against the message
        Assert.False((bool)verified[5]!["signatureValid"]!);
        AssertItemError(verified[6], 422, "item: Expected object, received boolean");

        // The batch signature is a normal one: the single verify route accepts it.
        JsonObject single = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/verify",
            new { data, signature, signingAlgorithm = "ECDSA_SHA_256" }));
        Assert.True((bool)single["signatureValid"]!);
    }

    [Theory]
    [InlineData("encrypt/batch")]
    [InlineData("decrypt/batch")]
    [InlineData("sign/batch")]
    [InlineData("verify/batch")]
    public async Task Batch_UnknownKey_Is404EvenWhenEveryItemIsInvalidAsync(string route)
    {
        string unknown = Guid.NewGuid().ToString();

        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, $"/api/v1/kms/keys/{unknown}/{route}", """{ "items": ["x", {}, 3] }"""),
            404, "NotFound", $"Key with ID \"{unknown}\" not found");
    }

    public static TheoryData<string, string, string> WholeRequestFailures()
    {
        string thousandAndOne = "[" + string.Join(",", Enumerable.Repeat("{}", 1001)) + "]";
        var data = new TheoryData<string, string, string>();
        foreach (string route in new[] { "encrypt/batch", "decrypt/batch", "sign/batch", "verify/batch" })
        {
            data.Add(route, $$"""{ "items": {{thousandAndOne}} }""", "items: Array must contain at most 1000 element(s)");
            data.Add(route, """{ "items": { "plaintext": "AA==" } }""", "items: Expected array, received object");
            data.Add(route, """{ "items": [] }""", "items: Array must contain at least 1 element(s)");
            data.Add(route, "{}", "items: Required");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(WholeRequestFailures))]
    public async Task Batch_InvalidItemsMember_Is422ForTheWholeRequestAsync(string route, string json, string message)
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("bad")))["id"]!;

        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, $"/api/v1/kms/keys/{keyId}/{route}", json), 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task Batch_KeyChecks_FailTheWholeRequestAsync()
    {
        string aes = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("whole")))["id"]!;
        string ecc = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("whole-ecc"), "sign-verify", "ECC_NIST_P384"))["id"]!;
        string items = """{ "items": [ { "plaintext": "AA==" } ] }""";

        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, $"/api/v1/kms/keys/{ecc}/encrypt/batch", items), 400, "BadRequest",
            "Unsupported key type, expected encrypt-decrypt but got sign-verify");
        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, $"/api/v1/kms/keys/{aes}/sign/batch", """{ "items": [ { "data": "AA==", "signingAlgorithm": "ECDSA_SHA_256" } ] }"""),
            400, "BadRequest", "Unsupported key type, expected sign-verify but got encrypt-decrypt");
        await ApiAssert.OkAsync(await DisableAsync(Admin, aes));
        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, $"/api/v1/kms/keys/{aes}/encrypt/batch", items), 400, "BadRequest", "Key is disabled");
        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, "/api/v1/kms/keys/nope/decrypt/batch", items), 422, "ValidationFailure", "keyId: Invalid uuid");

        HttpClient viewer = await CallerAsync(server.Factory, server.ProjectId, "viewer");
        await ApiAssert.ErrorAsync(await PostJsonAsync(viewer, $"/api/v1/kms/keys/{ecc}/sign/batch", """{ "items": ["x"] }"""),
            403, "PermissionDenied", "You are not allowed to sign on cmek");
    }

    [Fact]
    public async Task EncryptBatch_ThousandItems_AreAllAnsweredInOrderAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("many")))["id"]!;
        var encryptItems = new JsonArray();
        for (int i = 0; i < 1000; i++)
        {
            encryptItems.Add(new JsonObject { ["plaintext"] = Base64($"item {i}") });
        }

        JsonArray encrypted = await ItemsAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt/batch", new JsonObject { ["items"] = encryptItems }), 1000);
        var decryptItems = new JsonArray(encrypted.Select(item => (JsonNode)new JsonObject { ["ciphertext"] = (string)item!["ciphertext"]! }).ToArray());
        JsonArray decrypted = await ItemsAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/decrypt/batch", new JsonObject { ["items"] = decryptItems }), 1000);

        Assert.Equal(Enumerable.Range(0, 1000).Select(i => Base64($"item {i}")), decrypted.Select(item => (string)item!["plaintext"]!));
    }

    [Fact]
    public async Task Batch_BodyLimit_IsTwoMebibytesForTheWholeRequestAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("big")))["id"]!;
        string chunk = Convert.ToBase64String(new byte[150_000]);   // 200 000 characters

        // 1.4 MB: over the 1 MiB limit of ordinary routes, within the 2 MiB of crypto routes (spec §1.9).
        string accepted = "{ \"items\": [" + string.Join(",", Enumerable.Repeat($"{{\"plaintext\":\"{chunk}\"}}", 7)) + "] }";
        JsonArray items = await ItemsAsync(await PostJsonAsync(Admin, $"/api/v1/kms/keys/{keyId}/encrypt/batch", accepted), 7);
        Assert.All(items, item => Assert.True(item!.AsObject().ContainsKey("ciphertext")));

        string tooLarge = "{ \"items\": [" + string.Join(",", Enumerable.Repeat($"{{\"plaintext\":\"{chunk}\"}}", 11)) + "] }";
        Assert.True(Encoding.UTF8.GetByteCount(tooLarge) > 2_097_152);
        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, $"/api/v1/kms/keys/{keyId}/encrypt/batch", tooLarge), 413, "PayloadTooLarge",
            "Request body exceeds the limit of 2097152 bytes");
    }
}
