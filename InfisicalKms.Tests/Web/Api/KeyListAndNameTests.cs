using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>List keys (spec §7.4) and get key by name (§7.6).</summary>
[Collection(KeyApiCollection.Name)]
public sealed class KeyListAndNameTests(KeyApiFixture api)
{
    /// <summary>A project with keys <c>beta-one</c>, <c>alpha-two</c> (disabled), <c>gamma-three</c> and a sign key <c>delta-four</c>.</summary>
    /// <remarks>Shared by the tests of this class, which only read it.</remarks>
    private Task<string> ProjectWithKeysAsync() => api.SharedAsync("list-project", async () =>
    {
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await api.CreateProjectAsync();
        await api.CreateKeyAsync(projectId, name: "beta-one");
        string alpha = (string)(await api.CreateKeyAsync(projectId, name: "alpha-two"))["id"]!;
        await api.CreateKeyAsync(projectId, name: "gamma-three");
        await api.CreateKeyAsync(projectId, "sign-verify", "ECC_NIST_P256", "delta-four");
        await admin.DisableAsync(alpha);
        await api.CreateKeyAsync(await api.CreateProjectAsync(), name: "alpha-other-project");
        return projectId;
    });

    private async Task<(string[] Names, int Total)> ListAsync(string query)
    {
        HttpClient admin = await api.AdminClientAsync();
        JsonObject body = await ApiAssert.OkAsync(await admin.GetAsync($"{KeyApi.Keys}?{query}"));
        return (body["keys"]!.AsArray().Select(k => (string)k!["name"]!).ToArray(), (int)body["totalCount"]!);
    }

    [Fact]
    public async Task List_Defaults_AllKeysAscendingByNameWithFullKeyObjects()
    {
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await ProjectWithKeysAsync();
        JsonObject body = await ApiAssert.OkAsync(await admin.GetAsync($"{KeyApi.Keys}?projectId={projectId}"));
        JsonArray keys = body["keys"]!.AsArray();
        Assert.Equal(new[] { "alpha-two", "beta-one", "delta-four", "gamma-three" }, keys.Select(k => (string)k!["name"]!));
        Assert.Equal(4, (int)body["totalCount"]!);
        JsonObject alpha = keys[0]!.AsObject();
        Assert.True((bool)alpha["isDisabled"]!);
        Assert.Equal(alpha.ToJsonString(), (await admin.GetKeyAsync((string)alpha["id"]!)).ToJsonString());
        Assert.False(keys[2]!.AsObject().ContainsKey("rotation"));
    }

    [Fact]
    public async Task List_TotalCount_FollowsKeysCreatedAndDeleted()
    {
        // Arrange
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await api.CreateProjectAsync();
        string[] ids = new string[3];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = (string)(await api.CreateKeyAsync(projectId, name: $"counted-{i}"))["id"]!;
        }

        await api.CreateKeyAsync(await api.CreateProjectAsync(), name: "counted-elsewhere");

        // Act
        int created = (await ListAsync($"projectId={projectId}&limit=1")).Total;
        await ApiAssert.OkAsync(await admin.DeleteAsync($"{KeyApi.Keys}/{ids[1]}"));
        (string[] names, int afterDelete) = await ListAsync($"projectId={projectId}&limit=1");

        // Assert
        Assert.Equal(3, created);
        Assert.Equal(2, afterDelete);
        Assert.Equal(["counted-0"], names);
    }

    [Theory]
    [InlineData("orderDirection=desc", new[] { "gamma-three", "delta-four", "beta-one", "alpha-two" }, 4)]
    [InlineData("orderBy=name&orderDirection=asc&limit=2", new[] { "alpha-two", "beta-one" }, 4)]
    [InlineData("offset=1&limit=2", new[] { "beta-one", "delta-four" }, 4)]
    [InlineData("offset=2&limit=2&orderDirection=desc", new[] { "beta-one", "alpha-two" }, 4)]
    [InlineData("offset=4", new string[0], 4)]
    [InlineData("limit=100&offset=0", new[] { "alpha-two", "beta-one", "delta-four", "gamma-three" }, 4)]
    [InlineData("search=ALPHA", new[] { "alpha-two" }, 1)]
    [InlineData("search=%20A-T%20", new[] { "alpha-two", "gamma-three" }, 2)]
    [InlineData("search=t&limit=1&offset=1", new[] { "beta-one" }, 4)]
    [InlineData("search=", new[] { "alpha-two", "beta-one", "delta-four", "gamma-three" }, 4)]
    [InlineData("search=%25", new string[0], 0)]
    [InlineData("search=_", new string[0], 0)]
    [InlineData("search=a%25t", new string[0], 0)]
    [InlineData("search=zzz", new string[0], 0)]
    [InlineData("unknown=1&search=four", new[] { "delta-four" }, 1)]
    public async Task List_QueryOptions_FilterSortAndPaginate(string query, string[] expected, int total)
    {
        string projectId = await ProjectWithKeysAsync();
        (string[] names, int totalCount) = await ListAsync($"projectId={projectId}&{query}");
        Assert.Equal(expected, names);
        Assert.Equal(total, totalCount);
    }

    [Fact]
    public async Task List_NamesWithHyphensAndDigits_SortedOrdinally()
    {
        string projectId = await api.CreateProjectAsync();
        foreach (string name in new[] { "ab", "b", "a-c", "a1", "a" })
        {
            await api.CreateKeyAsync(projectId, name: name);
        }

        Assert.Equal(new[] { "a", "a-c", "a1", "ab", "b" }, (await ListAsync($"projectId={projectId}")).Names);
        Assert.Equal(new[] { "b", "ab", "a1", "a-c", "a" }, (await ListAsync($"projectId={projectId}&orderDirection=desc")).Names);
    }

    [Fact]
    public async Task List_EmptyProject_ReturnsNoKeysAndZeroTotal()
    {
        (string[] names, int total) = await ListAsync("projectId=" + await api.CreateProjectAsync());
        Assert.Empty(names);
        Assert.Equal(0, total);
    }

    [Theory]
    [InlineData("", "projectId: Required")]
    [InlineData("projectId=", "projectId: Required")]
    [InlineData("projectId=p&limit=101", "limit: Number must be less than or equal to 100")]
    [InlineData("projectId=p&limit=0", "limit: Number must be greater than or equal to 1")]
    [InlineData("projectId=p&offset=-1", "offset: Number must be greater than or equal to 0")]
    [InlineData("projectId=p&limit=abc", "limit: Expected number, received nan")]
    [InlineData("projectId=p&limit=1.5", "limit: Expected integer, received float")]
    [InlineData("projectId=p&limit=%205", "limit: Expected number, received nan")]     // issue #12: " 5" was read as 5
    [InlineData("projectId=p&limit=5%20", "limit: Expected number, received nan")]
    [InlineData("projectId=p&limit=%2B5", "limit: Expected number, received nan")]
    [InlineData("projectId=p&limit=1e1", "limit: Expected number, received nan")]
    [InlineData("projectId=p&limit=0x10", "limit: Expected number, received nan")]
    [InlineData("projectId=p&offset=Infinity", "offset: Expected number, received nan")]
    [InlineData("projectId=p&limit=", "limit: Expected number, received nan")]
    [InlineData("projectId=p&orderBy=createdAt", "orderBy: Invalid enum value. Expected 'name', received 'createdAt'")]
    [InlineData("projectId=p&orderDirection=DESC", "orderDirection: Invalid enum value. Expected 'asc' | 'desc', received 'DESC'")]
    [InlineData("orderDirection=up&limit=101&offset=-1", "projectId: Required; offset: Number must be greater than or equal to 0; limit: Number must be less than or equal to 100; orderDirection: Invalid enum value. Expected 'asc' | 'desc', received 'up'")]
    public async Task List_InvalidQuery_Returns422(string query, string message)
    {
        HttpClient admin = await api.AdminClientAsync();
        await ApiAssert.ErrorAsync(await admin.GetAsync($"{KeyApi.Keys}?{query}"), 422, "ValidationFailure", message);
    }

    [Theory]
    [InlineData("0b9e3f4c-8a1d-4c6e-b2f7-5d3a9e1c7b24")]
    [InlineData("no-such-project")]
    public async Task List_UnknownProject_Returns404(string projectId)
    {
        HttpClient admin = await api.AdminClientAsync();
        await ApiAssert.ErrorAsync(await admin.GetAsync($"{KeyApi.Keys}?projectId={projectId}"), 404, "NotFound", $"Project with ID \"{projectId}\" not found");
    }

    [Fact]
    public async Task GetByName_ExistingKeys_ReturnTheKeyIncludingDisabled()
    {
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await ProjectWithKeysAsync();
        foreach (string name in new[] { "alpha-two", "delta-four" })
        {
            JsonObject key = (await ApiAssert.OkAsync(await admin.GetAsync($"{KeyApi.Keys}/key-name/{name}?projectId={projectId}")))["key"]!.AsObject();
            Assert.Equal(name, (string?)key["name"]);
            Assert.Equal(projectId, (string?)key["projectId"]);
            Assert.Equal(key.ToJsonString(), (await admin.GetKeyAsync((string)key["id"]!)).ToJsonString());
        }
    }

    [Fact]
    public async Task GetByName_PercentEncodedName_IsDecoded()
    {
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await ProjectWithKeysAsync();
        JsonObject body = await ApiAssert.OkAsync(await admin.GetAsync($"{KeyApi.Keys}/key-name/%62eta%2Done?projectId={projectId}"));
        Assert.Equal("beta-one", (string?)body["key"]!["name"]);
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("alpha-other-project")]
    public async Task GetByName_NoSuchKeyInProject_Returns404(string keyName)
    {
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await ProjectWithKeysAsync();
        await ApiAssert.ErrorAsync(await admin.GetAsync($"{KeyApi.Keys}/key-name/{keyName}?projectId={projectId}"), 404, "NotFound",
            $"Key with name \"{keyName}\" not found for project with ID \"{projectId}\"");
    }

    [Theory]
    [InlineData("0b9e3f4c-8a1d-4c6e-b2f7-5d3a9e1c7b24")]
    [InlineData("not-a-project")]
    public async Task GetByName_UnknownProject_Returns404(string projectId)
    {
        HttpClient admin = await api.AdminClientAsync();
        await ApiAssert.ErrorAsync(await admin.GetAsync($"{KeyApi.Keys}/key-name/beta-one?projectId={projectId}"), 404, "NotFound",
            $"Key with name \"beta-one\" not found for project with ID \"{projectId}\"");
    }

    [Theory]
    [InlineData("beta-one", "", "projectId: Project ID is required")]
    [InlineData("beta-one", "?projectId=", "projectId: Project ID is required")]
    [InlineData("Beta_One", "?projectId=p", "keyName: Key name field can only contain lowercase letters, numbers, and hyphens")]
    [InlineData("a--b", "?projectId=p", "keyName: Key name field can only contain lowercase letters, numbers, and hyphens")]
    [InlineData("%20", "?projectId=p", "keyName: Key name field must be at least 1 lowercase character")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "?projectId=p", "keyName: Key name field must be at most 64 lowercase characters")]
    [InlineData("Bad", "", "keyName: Key name field can only contain lowercase letters, numbers, and hyphens; projectId: Project ID is required")]
    public async Task GetByName_InvalidParameters_Returns422(string keyName, string query, string message)
    {
        HttpClient admin = await api.AdminClientAsync();
        await ApiAssert.ErrorAsync(await admin.GetAsync($"{KeyApi.Keys}/key-name/{keyName}{query}"), 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task GetByName_SixtyFourCharacterName_IsValidAndNotFound()
    {
        HttpClient admin = await api.AdminClientAsync();
        string projectId = await api.CreateProjectAsync();
        string name = new('a', 64);
        await ApiAssert.ErrorAsync(await admin.GetAsync($"{KeyApi.Keys}/key-name/{name}?projectId={projectId}"), 404, "NotFound",
            $"Key with name \"{name}\" not found for project with ID \"{projectId}\"");
    }
}
