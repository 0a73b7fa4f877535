using System.Net.Http.Json;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;

namespace InfisicalKms.Tests.Web.Api.HotPath;

/// <summary>
/// Issue #13: a change made by another process on the same database (another instance, manual SQL) does not
/// pass this process's invalidation; its change stamp is seen within Kms:Cache:PollMilliseconds.
/// </summary>
public sealed class OutsideChangeTests : IAsyncLifetime
{
    private readonly FastPollFactory _factory = new();

    [Fact]
    public async Task TokenRevokedByAnotherProcess_IsRefusedWithinThePollInterval()
    {
        // Arrange: a warm token
        HttpClient admin = (await _factory.AdminAsync()).Client;
        string projectId = await LifecycleApi.CreateProjectAsync(admin, "Outside");
        string keyId = (string)(await LifecycleApi.CreateKeyAsync(admin, projectId, "outside"))["id"]!;
        Caller caller = await LifecycleApi.CreateCallerAsync(_factory, projectId, "member");
        await ApiAssert.OkAsync(await caller.Client.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = "" }));

        // Act: revoke every token of the identity with SQL on a connection of its own, as another instance would
        Assert.Equal(1, await _factory.Database.ExecuteAsync(
            """UPDATE "AccessTokens" SET "IsRevoked" = @p0 WHERE "IdentityId" = @p1""", true, Guid.Parse(caller.IdentityId)));

        // Assert: refused within a few poll intervals
        int status = 0;
        for (int i = 0; i < 50 && status != 401; i++)
        {
            await Task.Delay(200);
            using HttpResponseMessage response = await caller.Client.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = "" });
            status = (int)response.StatusCode;
        }

        Assert.Equal(401, status);
    }

    [Fact]
    public async Task KeyDisabledByAnotherProcess_IsRefusedWithinThePollInterval()
    {
        // Arrange: a warm key, used well after any start-up read of the stamps
        HttpClient admin = (await _factory.AdminAsync()).Client;
        string projectId = await LifecycleApi.CreateProjectAsync(admin, "Outside key");
        string keyId = (string)(await LifecycleApi.CreateKeyAsync(admin, projectId, "outside-key"))["id"]!;
        await Task.Delay(500);
        await ApiAssert.OkAsync(await admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = "" }));

        // Act
        Assert.Equal(1, await _factory.Database.ExecuteAsync("""UPDATE "Keys" SET "IsDisabled" = @p0 WHERE "Id" = @p1""", true, Guid.Parse(keyId)));

        // Assert
        string? message = null;
        for (int i = 0; i < 50 && message is null; i++)
        {
            await Task.Delay(100);
            using HttpResponseMessage response = await admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = "" });
            if (response.StatusCode == System.Net.HttpStatusCode.BadRequest)
            {
                message = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("message").GetString();
            }
        }

        Assert.Equal("Key is disabled", message);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private sealed class FastPollFactory : KmsWebApplicationFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Kms:Cache:PollMilliseconds"] = "200" };
    }
}
