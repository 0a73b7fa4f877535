using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace InfisicalKms.Tests.Web.Api.Operations;

/// <summary>
/// <c>GET /healthz</c> and <c>GET /readyz</c> on the real server and its database (either provider): each check
/// is made to fail for real, by another connection holding the database or a trigger refusing audit records,
/// and the answer names it; once the cause is gone, the instance is ready again.
/// </summary>
public sealed class ReadinessTests(KmsWebApplicationFactory factory) : IClassFixture<KmsWebApplicationFactory>
{
    [Fact]
    public async Task Healthz_AnswersWithoutAToken_200AndNoChecks()
    {
        HttpResponseMessage response = await factory.CreateClient().GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"status":"healthy","checks":[]}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readyz_EverythingWorks_200NamingEachCheck()
    {
        JsonObject body = await ReadyAsync(HttpStatusCode.OK);

        Assert.Equal("healthy", (string?)body["status"]);
        Assert.Equal(["database", "root-key", "audit-writer", "hsm"], Names(body, "healthy"));
        Assert.Equal("the root key is loaded (SOFTWARE)", Description(body, "root-key"));
        Assert.Equal("no HSM: the root key is not wrapped by an HSM", Description(body, "hsm"));
    }

    [Fact]
    public async Task Readyz_DatabaseCannotBeWritten_503NamingTheDatabaseUntilItCan()
    {
        await using (await DatabaseUnwritableAsync())
        {
            JsonObject body = await ReadyAsync(HttpStatusCode.ServiceUnavailable);

            Assert.Equal("unhealthy", (string?)body["status"]);
            Assert.Contains("database", Names(body, "unhealthy"));
            Assert.StartsWith("the database ", Description(body, "database"));
            Assert.Contains("root-key", Names(body, "healthy"));
            Assert.DoesNotContain(factory.RootEncryptionKey, body.ToJsonString());
        }

        Assert.Equal("healthy", (string?)(await ReadyAsync(HttpStatusCode.OK))["status"]);
    }

    [Fact]
    public async Task Readyz_AuditRecordsRefused_503NamingTheAuditWriterAndLeavesNoProbeRecord()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await AuthTestHelpers.CreateProjectIdAsync(admin.Client, "Readiness " + KeyApi.UniqueName());
        string keyId = await AuthTestHelpers.CreateAesKeyAsync(admin.Client, projectId, KeyApi.UniqueName());

        await using (await AuditRefusal.StartAsync(factory.Database))
        {
            JsonObject body = await ReadyAsync(HttpStatusCode.ServiceUnavailable);

            Assert.Equal(["audit-writer"], Names(body, "unhealthy"));
            Assert.StartsWith("the last audit probe could not be written: ", Description(body, "audit-writer"));
            Assert.Contains("audit refused", Description(body, "audit-writer"));

            // What readiness foretells: operations are refused rather than answered unaudited.
            HttpResponseMessage encrypt = await admin.Client.PostAsJsonAsync(KeyApi.Key(keyId) + "/encrypt", new { plaintext = KeyApi.B64("x") });
            Assert.Equal(HttpStatusCode.InternalServerError, encrypt.StatusCode);
        }

        Assert.Equal("healthy", (string?)(await ReadyAsync(HttpStatusCode.OK))["status"]);
        await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync(KeyApi.Key(keyId) + "/encrypt", new { plaintext = KeyApi.B64("x") }));

        // The probes were rolled back: no record and no chain of theirs, and the project's chain still verifies.
        await using KmsDbContext db = await factory.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        Assert.Equal(0, await db.AuditEvents.CountAsync(e => e.ChainId == Guid.Empty || e.EventType == "audit-writer-probe"));
        Assert.Equal(0, await db.AuditChainHeads.CountAsync(h => h.ChainId == Guid.Empty));
        JsonObject verify = await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/projects/{projectId}/audit-logs/verify"));
        Assert.Equal(true, (bool?)verify["valid"]);
    }

    private async Task<JsonObject> ReadyAsync(HttpStatusCode expected)
    {
        HttpResponseMessage response = await factory.CreateClient().GetAsync("/readyz");
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        return JsonNode.Parse(text)!.AsObject();
    }

    private static List<string> Names(JsonObject body, string status) =>
        [.. body["checks"]!.AsArray().Where(c => (string?)c!["status"] == status).Select(c => (string)c!["name"]!)];

    private static string Description(JsonObject body, string name) =>
        (string)body["checks"]!.AsArray().Single(c => (string?)c!["name"] == name)!["description"]!;

    /// <summary>
    /// SQLite: another connection holds the write lock (as a stuck maintenance job would). PostgreSQL: the
    /// database is made read-only for new sessions and the server's sessions are ended, so they come back read-only.
    /// </summary>
    private async Task<IAsyncDisposable> DatabaseUnwritableAsync()
    {
        TestDatabase database = factory.Database;
        if (!database.IsPostgres)
        {
            DbConnection holder = await database.OpenConnectionAsync();
            await using (DbCommand command = holder.CreateCommand())
            {
                command.CommandText = "BEGIN EXCLUSIVE;";
                await command.ExecuteNonQueryAsync();
            }

            return new Restore(() => holder.DisposeAsync().AsTask());   // closing rolls the transaction back
        }

        await SetReadOnlyAsync(database, true);
        return new Restore(() => SetReadOnlyAsync(database, false));
    }

    private static async Task SetReadOnlyAsync(TestDatabase database, bool readOnly)
    {
        // A session of its own that writes whatever the database's default says.
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false, Options = "-c default_transaction_read_only=off" };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using NpgsqlCommand command = connection.CreateCommand();
        command.CommandText = (readOnly
            ? "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$;"
            : "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET default_transaction_read_only', current_database()); END $$;")
            + "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid();";
        await command.ExecuteNonQueryAsync();
    }

    private sealed class Restore(Func<Task> restore) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await restore();
    }
}
