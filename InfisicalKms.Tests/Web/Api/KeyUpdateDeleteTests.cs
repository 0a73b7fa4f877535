using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>Update key (spec §7.2) and delete key (§7.3); a failed request leaves the stored key unchanged.</summary>
[Collection(KeyApiCollection.Name)]
public sealed class KeyUpdateDeleteTests(KeyApiFixture api)
{
    [Fact]
    public async Task Update_NameDescriptionAndDisabled_ChangesThemAndUpdatedAt()
    {
        // Arrange
        HttpClient admin = await api.AdminClientAsync();
        JsonObject before = await api.CreateKeyAsync(await api.CreateProjectAsync());
        string name = KeyApi.UniqueName();
        await Task.Delay(5);

        // Act
        HttpResponseMessage response = await admin.PatchAsJsonAsync(KeyApi.Key((string)before["id"]!),
            new { name = " " + name + " ", description = " new text ", isDisabled = true });

        // Assert
        JsonObject key = (await ApiAssert.OkAsync(response))["key"]!.AsObject();
        Assert.Equal(name, (string?)key["name"]);
        Assert.Equal("new text", (string?)key["description"]);
        Assert.True((bool)key["isDisabled"]!);
        Assert.Equal((string?)before["createdAt"], (string?)key["createdAt"]);
        KeyApi.AssertTimestamp(key["updatedAt"]);
        Assert.True(string.CompareOrdinal((string?)key["updatedAt"], (string?)before["updatedAt"]) > 0);
        Assert.Equal(key.ToJsonString(), (await admin.GetKeyAsync((string)key["id"]!)).ToJsonString());
        string projectId = (string)key["projectId"]!;
        Assert.Equal(200, (int)(await admin.GetAsync($"{KeyApi.Keys}/key-name/{name}?projectId={projectId}")).StatusCode);
        Assert.Equal(404, (int)(await admin.GetAsync($"{KeyApi.Keys}/key-name/{before["name"]}?projectId={projectId}")).StatusCode);
    }

    [Fact]
    public async Task Update_NothingChanged_ReturnsKeyWithSameUpdatedAt()
    {
        HttpClient admin = await api.AdminClientAsync();
        JsonObject before = await api.CreateKeyAsync(await api.CreateProjectAsync());
        string url = KeyApi.Key((string)before["id"]!);
        await Task.Delay(5);
        JsonObject empty = (await ApiAssert.OkAsync(await admin.PatchRawAsync(url, "{}")))["key"]!.AsObject();
        JsonObject bodiless = (await ApiAssert.OkAsync(await admin.PatchAsync(url, null)))["key"]!.AsObject();
        JsonObject same = (await ApiAssert.OkAsync(await admin.PatchAsJsonAsync(url,
            new { name = (string)before["name"]!, isDisabled = false, description = (string?)null })))["key"]!.AsObject();
        Assert.Equal(before.ToJsonString(), empty.ToJsonString());
        Assert.Equal(before.ToJsonString(), bodiless.ToJsonString());
        Assert.Equal(before.ToJsonString(), same.ToJsonString());
    }

    [Fact]
    public async Task Update_ImmutableFields_AreIgnored()
    {
        HttpClient admin = await api.AdminClientAsync();
        JsonObject before = await api.CreateKeyAsync(await api.CreateProjectAsync());
        await Task.Delay(5);
        HttpResponseMessage response = await admin.PatchRawAsync(KeyApi.Key((string)before["id"]!),
            """{"keyUsage":"sign-verify","algorithm":"aes-128-gcm","encryptionAlgorithm":"aes-128-gcm","isExportable":true,"version":7,"projectId":"x","Name":"other"}""");
        Assert.Equal(before.ToJsonString(), (await ApiAssert.OkAsync(response))["key"]!.ToJsonString());
    }

    [Fact]
    public async Task Update_EmptyDescription_StoredAsEmptyString()
    {
        HttpClient admin = await api.AdminClientAsync();
        JsonObject before = await api.CreateKeyAsync(await api.CreateProjectAsync());
        JsonObject key = (await ApiAssert.OkAsync(await admin.PatchAsJsonAsync(KeyApi.Key((string)before["id"]!), new { description = "" })))["key"]!.AsObject();
        Assert.Equal("", (string?)key["description"]);
    }

    [Fact]
    public async Task Update_DisableThenEnable_BlocksAndRestoresCrypto()
    {
        // Arrange
        HttpClient admin = await api.AdminClientAsync();
        string keyId = await api.CreateKeyIdAsync(await api.CreateProjectAsync());
        string ciphertext = await admin.EncryptAsync(keyId, KeyApi.B64("kept"));

        // Act
        await admin.DisableAsync(keyId);
        HttpResponseMessage encrypt = await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/encrypt", new { plaintext = "" });
        HttpResponseMessage decrypt = await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/decrypt", new { ciphertext });
        JsonObject disabled = await admin.GetKeyAsync(keyId);
        await ApiAssert.OkAsync(await admin.PatchAsJsonAsync(KeyApi.Key(keyId), new { isDisabled = false }));

        // Assert
        await ApiAssert.ErrorAsync(encrypt, 400, "BadRequest", "Key is disabled");
        await ApiAssert.ErrorAsync(decrypt, 400, "BadRequest", "Key is disabled");
        Assert.True((bool)disabled["isDisabled"]!);
        JsonObject plain = await ApiAssert.OkAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/decrypt", new { ciphertext }));
        Assert.Equal(KeyApi.B64("kept"), (string?)plain["plaintext"]);
    }

    [Fact]
    public async Task Update_RenameToOwnName_Succeeds()
    {
        HttpClient admin = await api.AdminClientAsync();
        JsonObject before = await api.CreateKeyAsync(await api.CreateProjectAsync());
        HttpResponseMessage response = await admin.PatchAsJsonAsync(KeyApi.Key((string)before["id"]!), new { name = (string)before["name"]! });
        Assert.Equal(before.ToJsonString(), (await ApiAssert.OkAsync(response))["key"]!.ToJsonString());
    }

    [Fact]
    public async Task Update_NameTakenInProject_Returns400AndKeyUnchanged()
    {
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await api.CreateProjectAsync();
        JsonObject other = await api.CreateKeyAsync(projectId);
        JsonObject before = await api.CreateKeyAsync(projectId);
        string keyId = (string)before["id"]!;
        string taken = (string)other["name"]!;
        HttpResponseMessage response = await admin.PatchAsJsonAsync(KeyApi.Key(keyId), new { name = taken, description = "changed", isDisabled = true });
        await ApiAssert.ErrorAsync(response, 400, "BadRequest", $"A KMS key with the name \"{taken}\" already exists for the project with ID \"{projectId}\"");
        Assert.Equal(before.ToJsonString(), (await admin.GetKeyAsync(keyId)).ToJsonString());
    }

    [Theory]
    [InlineData("""{"isDisabled":"true"}""", "isDisabled: Expected boolean, received string")]
    [InlineData("""{"isDisabled":1}""", "isDisabled: Expected boolean, received number")]
    [InlineData("""{"name":"Bad Name","isDisabled":true}""", "name: Name field can only contain lowercase letters, numbers, and hyphens")]
    [InlineData("""{"name":"","description":"ok"}""", "name: Name field must be at least 1 lowercase character")]
    [InlineData("""{"name":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}""", "name: Name field must be at most 32 lowercase characters")]
    [InlineData("""{"description":5,"isDisabled":true}""", "description: Expected string, received number")]
    [InlineData("""{"name":"a--b","description":"ok","isDisabled":"no"}""", "name: Name field can only contain lowercase letters, numbers, and hyphens; isDisabled: Expected boolean, received string")]
    public async Task Update_InvalidBody_Returns422AndKeyUnchanged(string json, string message)
    {
        HttpClient admin = await api.AdminClientAsync();
        JsonObject before = await api.CreateKeyAsync(await api.CreateProjectAsync());
        string keyId = (string)before["id"]!;
        await ApiAssert.ErrorAsync(await admin.PatchRawAsync(KeyApi.Key(keyId), json), 422, "ValidationFailure", message);
        Assert.Equal(before.ToJsonString(), (await admin.GetKeyAsync(keyId)).ToJsonString());
    }

    [Fact]
    public async Task Update_LongDescription_Returns422AndKeyUnchanged()
    {
        HttpClient admin = await api.AdminClientAsync();
        JsonObject before = await api.CreateKeyAsync(await api.CreateProjectAsync());
        string keyId = (string)before["id"]!;
        HttpResponseMessage response = await admin.PatchAsJsonAsync(KeyApi.Key(keyId), new { isDisabled = true, description = new string('d', 501) });
        await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", "description: String must contain at most 500 character(s)");
        Assert.Equal(before.ToJsonString(), (await admin.GetKeyAsync(keyId)).ToJsonString());
    }

    [Theory]
    [InlineData("not-a-uuid", """{"name":"Bad"}""", "keyId: Invalid uuid; name: Name field can only contain lowercase letters, numbers, and hyphens")]
    [InlineData("bulk-import", "{}", "keyId: Invalid uuid")]
    public async Task Update_KeyIdNotUuid_Returns422PathFirst(string keyId, string json, string message)
    {
        HttpClient admin = await api.AdminClientAsync();
        await ApiAssert.ErrorAsync(await admin.PatchRawAsync(KeyApi.Key(keyId), json), 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task Update_UnknownKey_Returns404()
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = Guid.NewGuid().ToString();
        await ApiAssert.ErrorAsync(await admin.PatchAsJsonAsync(KeyApi.Key(keyId), new { description = "x" }), 404, "NotFound", $"Key with ID \"{keyId}\" not found");
    }

    [Fact]
    public async Task Delete_ExistingKey_ReturnsKeyThen404AndFreesName()
    {
        // Arrange
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await api.CreateProjectAsync();
        JsonObject before = await api.CreateKeyAsync(projectId);
        string keyId = (string)before["id"]!;
        string ciphertext = await admin.EncryptAsync(keyId, KeyApi.B64("gone"));

        // Act
        JsonObject deleted = await ApiAssert.OkAsync(await admin.DeleteAsync(KeyApi.Key(keyId)));

        // Assert
        Assert.Equal(before.ToJsonString(), deleted["key"]!.ToJsonString());
        string notFound = $"Key with ID \"{keyId}\" not found";
        await ApiAssert.ErrorAsync(await admin.GetAsync(KeyApi.Key(keyId)), 404, "NotFound", notFound);
        await ApiAssert.ErrorAsync(await admin.DeleteAsync(KeyApi.Key(keyId)), 404, "NotFound", notFound);
        await ApiAssert.ErrorAsync(await admin.PatchAsJsonAsync(KeyApi.Key(keyId), new { }), 404, "NotFound", notFound);
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/decrypt", new { ciphertext }), 404, "NotFound", notFound);
        Assert.Equal(0, await admin.CountKeysAsync(projectId));
        JsonObject again = await api.CreateKeyAsync(projectId, name: (string)before["name"]!);
        Assert.NotEqual(keyId, (string?)again["id"]);
    }

    [Fact]
    public async Task Delete_KeyIdNotUuid_Returns422()
    {
        HttpClient admin = await api.AdminClientAsync();
        await ApiAssert.ErrorAsync(await admin.DeleteAsync(KeyApi.Key("xyz")), 422, "ValidationFailure", "keyId: Invalid uuid");
    }

    [Fact]
    public async Task Delete_DisabledKey_Succeeds()
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = await api.CreateKeyIdAsync(await api.CreateProjectAsync(), "generate-verify-mac");
        await admin.DisableAsync(keyId);
        JsonObject deleted = await ApiAssert.OkAsync(await admin.DeleteAsync(KeyApi.Key(keyId)));
        Assert.True((bool)deleted["key"]!["isDisabled"]!);
    }
}
