using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;

namespace InfisicalKms.Tests.Web.Api.HotPath;

/// <summary>
/// Issue #13: caching reads changed nothing about the audit log. After a concurrent load run on warm caches,
/// the project holds exactly one record per answered request, and its chain verifies.
/// </summary>
public sealed class AuditUnderLoadTests : IAsyncLifetime
{
    private readonly KmsWebApplicationFactory _factory = new();

    [Fact]
    public async Task LoadRun_AuditHoldsOneRecordPerAcknowledgedRequest_AndTheChainVerifies()
    {
        // Arrange: a member caller, an AES key and an ECC key, caches warm
        HttpClient admin = (await _factory.AdminAsync()).Client;
        string projectId = await LifecycleApi.CreateProjectAsync(admin, "Audited load");
        string aesId = (string)(await LifecycleApi.CreateKeyAsync(admin, projectId, "load-aes"))["id"]!;
        string eccId = (string)(await LifecycleApi.CreateKeyAsync(admin, projectId, "load-ecc", "sign-verify", "ECC_NIST_P256"))["id"]!;
        Caller caller = await LifecycleApi.CreateCallerAsync(_factory, projectId, "member");
        string token = caller.Client.DefaultRequestHeaders.Authorization!.Parameter!;

        // Act: 16 clients, 25 encrypts and 25 signs each, all at once
        int[] answered = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using HttpClient client = _factory.Authorized(token);
            int ok = 0;
            for (int i = 0; i < 25; i++)
            {
                using HttpResponseMessage encrypted = await client.PostAsJsonAsync($"/api/v1/kms/keys/{aesId}/encrypt", new { plaintext = "aGVsbG8=" });
                using HttpResponseMessage signed = await client.PostAsJsonAsync($"/api/v1/kms/keys/{eccId}/sign", new { data = "aGVsbG8=", signingAlgorithm = "ECDSA_SHA_256" });
                ok += (encrypted.IsSuccessStatusCode ? 1 : 0) + (signed.IsSuccessStatusCode ? 1 : 0);
            }

            return ok;
        }));

        // Assert
        Assert.Equal(800, answered.Sum());
        Assert.Equal(400, await CountAsync(admin, projectId, "cmek-encrypt", caller.IdentityId));
        Assert.Equal(400, await CountAsync(admin, projectId, "cmek-sign", caller.IdentityId));
        JsonObject verified = await ApiAssert.OkAsync(await admin.GetAsync($"/api/v1/projects/{projectId}/audit-logs/verify"));
        Assert.True((bool)verified["valid"]!, verified.ToJsonString());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static async Task<int> CountAsync(HttpClient admin, string projectId, string eventType, string actorId) =>
        (int)(await ApiAssert.OkAsync(await admin.GetAsync(
            $"/api/v1/projects/{projectId}/audit-logs?eventType={eventType}&actorId={actorId}&limit=1")))["totalCount"]!;
}
