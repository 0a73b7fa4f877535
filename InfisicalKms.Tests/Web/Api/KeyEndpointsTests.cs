using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>Create key (spec §7.1) and get key by ID (§7.5), with the key object of §3.</summary>
[Collection(KeyApiCollection.Name)]
public sealed class KeyEndpointsTests(KeyApiFixture api)
{
    private const string Algorithms =
        "'aes-256-gcm' | 'aes-128-gcm' | 'RSA_4096' | 'ECC_NIST_P256' | 'ECC_NIST_P384' | 'ECC_NIST_P521' | 'HMAC_SHA_1' | 'HMAC_SHA_224' | 'HMAC_SHA_256' | 'HMAC_SHA_384' | 'HMAC_SHA_512'";

    [Fact]
    public async Task Create_NameOnly_ReturnsAes256KeyWithEveryMember()
    {
        // Arrange
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await api.CreateProjectAsync();
        string name = KeyApi.UniqueName();

        // Act
        HttpResponseMessage response = await admin.PostAsJsonAsync(KeyApi.Keys, new { projectId, name = "  " + name + " " });

        // Assert
        JsonObject key = (await ApiAssert.OkAsync(response))["key"]!.AsObject();
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        KeyApi.AssertLowercaseUuid(key["id"]);
        Assert.Equal(name, (string?)key["name"]);
        Assert.Null(key["description"]);
        Assert.True(key.ContainsKey("description"));
        Assert.False((bool)key["isDisabled"]!);
        Assert.Equal((await api.AdminAsync()).OrganizationId, (string?)key["orgId"]);
        Assert.Equal(projectId, (string?)key["projectId"]);
        Assert.Equal("encrypt-decrypt", (string?)key["keyUsage"]);
        Assert.Equal("aes-256-gcm", (string?)key["encryptionAlgorithm"]);
        Assert.Equal("aes-256-gcm", (string?)key["algorithm"]);
        Assert.Equal(1, (int)key["version"]!);
        Assert.False((bool)key["isExportable"]!);
        KeyApi.AssertTimestamp(key["createdAt"]);
        Assert.Equal((string?)key["createdAt"], (string?)key["updatedAt"]);
        Assert.Equal("""{"enabled":false,"intervalDays":null,"lastRotatedAt":null,"nextRotationAt":null}""", key["rotation"]!.ToJsonString());
    }

    [Theory]
    [InlineData("generate-verify-mac", null, null, "HMAC_SHA_256")]
    [InlineData(null, "aes-128-gcm", "aes-256-gcm", "aes-128-gcm")]
    [InlineData(null, null, "aes-128-gcm", "aes-128-gcm")]
    [InlineData("sign-verify", "ECC_NIST_P384", null, "ECC_NIST_P384")]
    [InlineData("generate-verify-mac", "HMAC_SHA_512", "aes-256-gcm", "HMAC_SHA_512")]
    public async Task Create_AlgorithmChoice_UsesEffectiveAlgorithm(string? keyUsage, string? algorithm, string? encryptionAlgorithm, string expected)
    {
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await api.CreateProjectAsync();
        HttpResponseMessage response = await admin.PostAsJsonAsync(KeyApi.Keys,
            new { projectId, name = KeyApi.UniqueName(), keyUsage, algorithm, encryptionAlgorithm });
        JsonObject key = (await ApiAssert.OkAsync(response))["key"]!.AsObject();
        Assert.Equal(expected, (string?)key["algorithm"]);
        Assert.Equal(expected, (string?)key["encryptionAlgorithm"]);
        Assert.Equal(keyUsage ?? "encrypt-decrypt", (string?)key["keyUsage"]);
        Assert.Equal(keyUsage != "sign-verify", key.ContainsKey("rotation"));
    }

    [Fact]
    public async Task Create_DescriptionAndExportable_StoredAsGiven()
    {
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await api.CreateProjectAsync();
        HttpResponseMessage response = await admin.PostRawAsync(KeyApi.Keys,
            $$"""{"projectId":"{{projectId}}","name":"{{KeyApi.UniqueName()}}","description":"  Encrypts invoices ","isExportable":true,"kmipMetadata":{"x":1},"extra":[1]}""");
        JsonObject key = (await ApiAssert.OkAsync(response))["key"]!.AsObject();
        Assert.Equal("Encrypts invoices", (string?)key["description"]);
        Assert.True((bool)key["isExportable"]!);
        JsonObject empty = await api.CreateKeyAsync(projectId);
        JsonObject withEmpty = (await ApiAssert.OkAsync(await admin.PostAsJsonAsync(KeyApi.Keys,
            new { projectId, name = KeyApi.UniqueName(), description = "" })))["key"]!.AsObject();
        Assert.Null(empty["description"]);
        Assert.Equal("", (string?)withEmpty["description"]);
        string longest = new('n', 32);
        JsonObject limits = (await ApiAssert.OkAsync(await admin.PostAsJsonAsync(KeyApi.Keys,
            new { projectId, name = $" {longest}\t", description = $"  {new string('d', 500)}  " })))["key"]!.AsObject();
        Assert.Equal(longest, (string?)limits["name"]);
        Assert.Equal(new string('d', 500), (string?)limits["description"]);
    }

    public static TheoryData<string, string> InvalidCreateBodies => new()
    {
        { "{}", "projectId: Required; name: Required" },
        { """{"projectId":"","name":"k"}""", "projectId: Required" },
        { """{"projectId":null,"name":null}""", "projectId: Required; name: Required" },
        { """{"projectId":7,"name":"k"}""", "projectId: Expected string, received number" },
        { """{"projectId":"p","name":"My-Key"}""", "name: Name field can only contain lowercase letters, numbers, and hyphens" },
        { """{"projectId":"p","name":"my--key"}""", "name: Name field can only contain lowercase letters, numbers, and hyphens" },
        { """{"projectId":"p","name":"-key"}""", "name: Name field can only contain lowercase letters, numbers, and hyphens" },
        { """{"projectId":"p","name":"key-"}""", "name: Name field can only contain lowercase letters, numbers, and hyphens" },
        { """{"projectId":"p","name":"my_key"}""", "name: Name field can only contain lowercase letters, numbers, and hyphens" },
        { """{"projectId":"p","name":"clé"}""", "name: Name field can only contain lowercase letters, numbers, and hyphens" },
        { """{"projectId":"p","name":"   "}""", "name: Name field must be at least 1 lowercase character" },
        { $$"""{"projectId":"p","name":"{{new string('a', 33)}}"}""", "name: Name field must be at most 32 lowercase characters" },
        { """{"projectId":"p","name":true}""", "name: Expected string, received boolean" },
        { $$"""{"projectId":"p","name":"a","description":"{{new string('d', 501)}}"}""", "description: String must contain at most 500 character(s)" },
        { """{"projectId":"p","name":"a","keyUsage":"encrypt"}""", "keyUsage: Invalid enum value. Expected 'encrypt-decrypt' | 'sign-verify' | 'generate-verify-mac', received 'encrypt'" },
        { """{"projectId":"p","name":"a","algorithm":"AES-256-GCM"}""", $"algorithm: Invalid enum value. Expected {Algorithms}, received 'AES-256-GCM'" },
        { """{"projectId":"p","name":"a","algorithm":"aes-256-gcm","encryptionAlgorithm":"ed25519"}""", $"encryptionAlgorithm: Invalid enum value. Expected {Algorithms}, received 'ed25519'" },
        { """{"projectId":"p","name":"a","keyUsage":"bogus","algorithm":"RSA_4096"}""", "keyUsage: Invalid enum value. Expected 'encrypt-decrypt' | 'sign-verify' | 'generate-verify-mac', received 'bogus'" },
        { """{"projectId":"p","name":"a","isExportable":"true"}""", "isExportable: Expected boolean, received string" },
        { """{"projectId":"p","name":"a","encryptionAlgorithm":"ECC_NIST_P256"}""", "encryptionAlgorithm: encryptionAlgorithm must be a valid symmetric encryption algorithm. Valid options are: aes-256-gcm, aes-128-gcm" },
        { """{"projectId":"p","name":"a","keyUsage":"sign-verify","algorithm":"aes-256-gcm","encryptionAlgorithm":"RSA_4096"}""", "algorithm: algorithm must be a valid asymmetric sign-verify algorithm. Valid options are: RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521" },
        { """{"projectId":"p","name":"a","keyUsage":"generate-verify-mac","encryptionAlgorithm":"aes-256-gcm"}""", "encryptionAlgorithm: encryptionAlgorithm must be a valid HMAC algorithm. Valid options are: HMAC_SHA_1, HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512" },
        { """{"projectId":"p","name":"a","keyUsage":"encrypt-decrypt","algorithm":"HMAC_SHA_256"}""", "algorithm: algorithm must be a valid symmetric encryption algorithm. Valid options are: aes-256-gcm, aes-128-gcm" },
    };

    [Theory]
    [MemberData(nameof(InvalidCreateBodies))]
    public async Task Create_InvalidBody_Returns422WithSpecMessage(string json, string message)
    {
        HttpClient admin = await api.AdminClientAsync();
        await ApiAssert.ErrorAsync(await admin.PostRawAsync(KeyApi.Keys, json), 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task Create_InvalidNameAndLongDescription_ReportsBothFieldsInOrder()
    {
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await api.CreateProjectAsync();
        HttpResponseMessage response = await admin.PostAsJsonAsync(KeyApi.Keys, new { projectId, name = "Bad Name", description = new string('x', 501) });
        JsonObject body = await ApiAssert.ErrorAsync(response, 422, "ValidationFailure",
            "name: Name field can only contain lowercase letters, numbers, and hyphens; description: String must contain at most 500 character(s)");
        Assert.Equal(
            """[{"field":"name","message":"Name field can only contain lowercase letters, numbers, and hyphens"},{"field":"description","message":"String must contain at most 500 character(s)"}]""",
            body["details"]!.ToJsonString());
        Assert.Equal(0, await admin.CountKeysAsync(projectId));
    }

    [Theory]
    [InlineData("0b9e3f4c-8a1d-4c6e-b2f7-5d3a9e1c7b24")]
    [InlineData("not-a-project")]
    public async Task Create_UnknownProject_Returns404(string projectId)
    {
        HttpClient admin = await api.AdminClientAsync();
        HttpResponseMessage response = await admin.PostAsJsonAsync(KeyApi.Keys, new { projectId, name = KeyApi.UniqueName() });
        await ApiAssert.ErrorAsync(response, 404, "NotFound", $"Project with ID \"{projectId}\" not found");
    }

    [Fact]
    public async Task Create_DuplicateName_Returns400AndKeepsOneKey()
    {
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await api.CreateProjectAsync();
        JsonObject first = await api.CreateKeyAsync(projectId);
        string name = (string)first["name"]!;
        HttpResponseMessage response = await admin.PostAsJsonAsync(KeyApi.Keys, new { projectId, name, keyUsage = "sign-verify", algorithm = "ECC_NIST_P256" });
        await ApiAssert.ErrorAsync(response, 400, "BadRequest", $"A KMS key with the name \"{name}\" already exists for the project with ID \"{projectId}\"");
        Assert.Equal(1, await admin.CountKeysAsync(projectId));
        Assert.Equal(first.ToJsonString(), (await admin.GetKeyAsync((string)first["id"]!)).ToJsonString());
        Assert.Equal(200, (int)(await admin.PostAsJsonAsync(KeyApi.Keys, new { projectId = await api.CreateProjectAsync(), name })).StatusCode);
    }

    [Fact]
    public async Task Create_ConcurrentSameName_ExactlyOneSucceeds()
    {
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await api.CreateProjectAsync();
        string name = KeyApi.UniqueName();
        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(_ => admin.PostAsJsonAsync(KeyApi.Keys, new { projectId, name })));
        Assert.Single(responses, r => (int)r.StatusCode == 200);
        foreach (HttpResponseMessage failed in responses.Where(r => (int)r.StatusCode != 200))
        {
            await ApiAssert.ErrorAsync(failed, 400, "BadRequest", $"A KMS key with the name \"{name}\" already exists for the project with ID \"{projectId}\"");
        }

        Assert.Equal(1, await admin.CountKeysAsync(projectId));
    }

    [Fact]
    public async Task Get_UppercaseId_ReturnsKeyWithLowercaseId()
    {
        HttpClient admin = await api.AdminClientAsync();
        JsonObject created = await api.CreateKeyAsync(await api.CreateProjectAsync(), "sign-verify", "ECC_NIST_P256");
        string id = (string)created["id"]!;
        JsonObject key = await admin.GetKeyAsync(id.ToUpperInvariant());
        Assert.Equal(created.ToJsonString(), key.ToJsonString());
        string percentEncoded = "%" + ((int)id[0]).ToString("X2", CultureInfo.InvariantCulture) + id[1..];
        Assert.Equal(created.ToJsonString(), (await admin.GetKeyAsync(percentEncoded)).ToJsonString());
        Assert.False(key.ContainsKey("rotation"));
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("3f6d2a8e5b1c4e9a8d7f2c4b6a8e0f13")]
    [InlineData("3f6d2a8e-5b1c-4e9a-8d7f-2c4b6a8e0f1")]
    public async Task Get_KeyIdNotUuid_Returns422(string keyId)
    {
        HttpClient admin = await api.AdminClientAsync();
        await ApiAssert.ErrorAsync(await admin.GetAsync(KeyApi.Key(keyId)), 422, "ValidationFailure", "keyId: Invalid uuid");
    }

    [Theory]
    [InlineData("PUT", "")]
    [InlineData("DELETE", "")]
    [InlineData("POST", "/3f6d2a8e-5b1c-4e9a-8d7f-2c4b6a8e0f13")]
    [InlineData("GET", "/3f6d2a8e-5b1c-4e9a-8d7f-2c4b6a8e0f13/encrypt")]
    [InlineData("PUT", "/3f6d2a8e-5b1c-4e9a-8d7f-2c4b6a8e0f13/sign")]
    public async Task KeyPaths_UnknownMethod_Returns404RouteNotFound(string method, string suffix)
    {
        HttpClient admin = await api.AdminClientAsync();
        string path = KeyApi.Keys + suffix;
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        await ApiAssert.ErrorAsync(await admin.SendAsync(request), 404, "NotFound", $"Route {method}:{path} not found");
    }

    [Fact]
    public async Task Get_UnknownKey_Returns404EchoingIdAsSent()
    {
        HttpClient admin = await api.AdminClientAsync();
        const string keyId = "3F6D2A8E-5B1C-4E9A-8D7F-2C4B6A8E0F13";
        await ApiAssert.ErrorAsync(await admin.GetAsync(KeyApi.Key(keyId)), 404, "NotFound", $"Key with ID \"{keyId}\" not found");
    }
}
