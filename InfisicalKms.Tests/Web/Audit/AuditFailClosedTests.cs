using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>
/// Spec §10.7: a record that cannot be written fails the request with 500 and rolls its effects back. Writing is
/// made to fail with a trigger on the test database that aborts every insert into <c>AuditEvents</c>.
/// </summary>
public sealed class AuditFailClosedTests(KmsWebApplicationFactory factory) : IClassFixture<KmsWebApplicationFactory>
{
    private const string Plaintext = "ZmFpbC1jbG9zZWQtcGxhaW50ZXh0";   // "fail-closed-plaintext"

    [Fact]
    public async Task Encrypt_AuditUnwritable_Answers500WithTheGenericBodyAndNoCiphertext()
    {
        (HttpClient admin, string projectId) = await ProjectAsync();
        string keyId = await AuthTestHelpers.CreateAesKeyAsync(admin, projectId, KeyApi.UniqueName());

        HttpResponseMessage response;
        await using (await AuditDownAsync())
        {
            response = await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/encrypt", new { plaintext = Plaintext });
        }

        await AssertInternalErrorAsync(response);
        await ApiAssert.OkAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/encrypt", new { plaintext = Plaintext }));   // restored
    }

    [Fact]
    public async Task CreateKey_AuditUnwritable_Answers500AndTheKeyDoesNotExist()
    {
        (HttpClient admin, string projectId) = await ProjectAsync();
        string name = KeyApi.UniqueName();

        HttpResponseMessage response;
        await using (await AuditDownAsync())
        {
            response = await admin.PostAsJsonAsync(KeyApi.Keys, new { projectId, name });
            Assert.Equal(0, await CountKeysAsync(name));
        }

        await AssertInternalErrorAsync(response);
        Assert.Equal(0, await CountKeysAsync(name));
        await ApiAssert.ErrorAsync(await admin.GetAsync($"{KeyApi.Keys}/key-name/{name}?projectId={projectId}"),
            404, "NotFound", $"Key with name \"{name}\" not found for project with ID \"{projectId}\"");
        await ApiAssert.OkAsync(await admin.PostAsJsonAsync(KeyApi.Keys, new { projectId, name }));   // the name was never taken
    }

    [Fact]
    public async Task Decrypt_AuditUnwritable_Answers500ForAFailingAndForAValidCiphertext()
    {
        (HttpClient admin, string projectId) = await ProjectAsync();
        string keyId = await AuthTestHelpers.CreateAesKeyAsync(admin, projectId, KeyApi.UniqueName());
        string blob = await admin.EncryptAsync(keyId, Plaintext);
        byte[] tampered = Convert.FromBase64String(blob);
        tampered[^4] ^= 0x01;

        HttpResponseMessage failing;
        HttpResponseMessage valid;
        await using (await AuditDownAsync())
        {
            failing = await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/decrypt", new { ciphertext = Convert.ToBase64String(tampered) });
            valid = await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/decrypt", new { ciphertext = blob });
        }

        await AssertInternalErrorAsync(failing);
        await AssertInternalErrorAsync(valid);
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/decrypt", new { ciphertext = Convert.ToBase64String(tampered) }),
            400, "BadRequest", KeyApi.DecryptionFailed);
    }

    [Fact]
    public async Task RotateAndDelete_AuditUnwritable_Answer500AndChangeNothing()
    {
        (HttpClient admin, string projectId) = await ProjectAsync();
        string keyId = await AuthTestHelpers.CreateAesKeyAsync(admin, projectId, KeyApi.UniqueName());

        HttpResponseMessage rotate;
        HttpResponseMessage delete;
        await using (await AuditDownAsync())
        {
            rotate = await admin.PostAsync(KeyApi.Key(keyId) + "/rotate", null);
            delete = await admin.DeleteAsync(KeyApi.Key(keyId));
        }

        await AssertInternalErrorAsync(rotate);
        await AssertInternalErrorAsync(delete);
        Assert.Equal(1, (int)(await admin.GetKeyAsync(keyId))["version"]!);
        JsonArray versions = (await ApiAssert.OkAsync(await admin.GetAsync(KeyApi.Key(keyId) + "/versions")))["versions"]!.AsArray();
        Assert.Single(versions);
    }

    [Fact]
    public async Task Login_AuditUnwritable_Answers500AndIssuesNoToken()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await AuthTestHelpers.CreateIdentityAsync(admin, "fail-closed-login");
        string clientId = (string)(await AuthTestHelpers.AttachUniversalAuthAsync(admin.Client, identityId))["clientId"]!;
        string secret = (string)(await AuthTestHelpers.CreateClientSecretAsync(admin.Client, identityId))["clientSecret"]!;
        int tokens = await CountTokensAsync(identityId);

        HttpResponseMessage response;
        await using (await AuditDownAsync())
        {
            response = await AuthTestHelpers.LoginAsync(factory.CreateClient(), clientId, secret);
        }

        await AssertInternalErrorAsync(response, "accessToken");
        Assert.Equal(tokens, await CountTokensAsync(identityId));
    }

    [Fact]
    public async Task UnknownKey_AuditUnwritable_Still404BecauseNothingIsRecorded()
    {
        HttpClient admin = (await factory.AdminAsync()).Client;
        string unknown = Guid.NewGuid().ToString();

        HttpResponseMessage response;
        await using (await AuditDownAsync())
        {
            response = await admin.PostAsJsonAsync(KeyApi.Key(unknown) + "/encrypt", new { plaintext = Plaintext });
        }

        await ApiAssert.ErrorAsync(response, 404, "NotFound", $"Key with ID \"{unknown}\" not found");
    }

    [Fact]
    public async Task Chain_AfterAnOutage_IsValidAndWithoutGaps()
    {
        (HttpClient admin, string projectId) = await ProjectAsync();
        string keyId = await AuthTestHelpers.CreateAesKeyAsync(admin, projectId, KeyApi.UniqueName());
        await using (await AuditDownAsync())
        {
            await AssertInternalErrorAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/encrypt", new { plaintext = Plaintext }));
            await AssertInternalErrorAsync(await admin.PostAsync(KeyApi.Key(keyId) + "/rotate", null));
        }

        await admin.EncryptAsync(keyId, Plaintext);

        await using KmsDbContext db = await factory.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        List<string> chain = await db.AuditEvents.Where(e => e.ChainId == Guid.Parse(projectId)).OrderBy(e => e.ChainIndex).Select(e => e.EventType).ToListAsync();
        Assert.Equal(["create-project", "create-cmek", "cmek-encrypt"], chain);
        JsonObject report = await ApiAssert.OkAsync(await admin.GetAsync($"/api/v1/projects/{projectId}/audit-logs/verify"));
        Assert.Equal("""{"valid":true,"checked":3,"firstInvalidId":null}""", report.ToJsonString());
    }

    /// <summary>Makes every insert into <c>AuditEvents</c> fail until the returned handle is disposed.</summary>
    private async Task<IAsyncDisposable> AuditDownAsync()
    {
        await SqlAsync("CREATE TRIGGER fail_audit BEFORE INSERT ON AuditEvents BEGIN SELECT RAISE(ABORT, 'audit down'); END;");
        return new Restore(() => SqlAsync("DROP TRIGGER fail_audit;"));
    }

    private async Task SqlAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={factory.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The 500 of spec §2.2: the generic body only, nothing of the operation's result.</summary>
    private static async Task AssertInternalErrorAsync(HttpResponseMessage response, string resultMember = "ciphertext")
    {
        JsonObject body = await ApiAssert.ErrorAsync(response, 500, "InternalServerError", "Something went wrong");
        AuthTestHelpers.AssertMembers(body, "reqId", "statusCode", "message", "error");
        string text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(resultMember, text, StringComparison.Ordinal);
        Assert.DoesNotContain("audit", text, StringComparison.OrdinalIgnoreCase);
    }

    private async Task<(HttpClient Admin, string ProjectId)> ProjectAsync()
    {
        HttpClient admin = (await factory.AdminAsync()).Client;
        return (admin, await AuthTestHelpers.CreateProjectIdAsync(admin, "Fail closed " + KeyApi.UniqueName()));
    }

    private async Task<int> CountKeysAsync(string name)
    {
        await using KmsDbContext db = await factory.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        return await db.Keys.CountAsync(k => k.Name == name);
    }

    private async Task<int> CountTokensAsync(string identityId)
    {
        await using KmsDbContext db = await factory.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        return await db.AccessTokens.CountAsync(t => t.IdentityId == Guid.Parse(identityId));
    }

    private sealed class Restore(Func<Task> restore) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await restore();
    }
}
