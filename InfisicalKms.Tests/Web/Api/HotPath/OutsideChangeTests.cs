using System.Net.Http.Json;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using Microsoft.Data.Sqlite;

namespace InfisicalKms.Tests.Web.Api.HotPath;

/// <summary>
/// Issue #13: a change made by another process on the same database (another instance, manual SQL) does not
/// pass this process's invalidation, and is seen once the cached entry is older than Kms:Cache:MaxAgeSeconds.
/// </summary>
public sealed class OutsideChangeTests : IAsyncLifetime
{
    private readonly OneSecondCacheFactory _factory = new();

    [Fact]
    public async Task TokenRevokedByAnotherProcess_IsRefusedOnceTheEntryIsOlderThanMaxAge()
    {
        // Arrange: a warm token
        HttpClient admin = (await _factory.AdminAsync()).Client;
        string projectId = await LifecycleApi.CreateProjectAsync(admin, "Outside");
        string keyId = (string)(await LifecycleApi.CreateKeyAsync(admin, projectId, "outside"))["id"]!;
        Caller caller = await LifecycleApi.CreateCallerAsync(_factory, projectId, "member");
        await ApiAssert.OkAsync(await caller.Client.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = "" }));

        // Act: revoke every token of the identity with SQL on a connection of its own, as another instance would
        await using (var connection = new SqliteConnection($"Data Source={_factory.DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using SqliteCommand command = connection.CreateCommand();
            command.CommandText = """UPDATE "AccessTokens" SET "IsRevoked" = 1 WHERE "IdentityId" = $id""";
            command.Parameters.AddWithValue("$id", Guid.Parse(caller.IdentityId).ToString().ToUpperInvariant());
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        // Assert: refused within a few multiples of the one-second bound
        int status = 0;
        for (int i = 0; i < 50 && status != 401; i++)
        {
            await Task.Delay(200);
            using HttpResponseMessage response = await caller.Client.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = "" });
            status = (int)response.StatusCode;
        }

        Assert.Equal(401, status);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private sealed class OneSecondCacheFactory : KmsWebApplicationFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Kms:Cache:MaxAgeSeconds"] = "1" };
    }
}
