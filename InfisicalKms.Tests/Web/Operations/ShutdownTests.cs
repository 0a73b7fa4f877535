using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using InfisicalKms.Tests.Web.DbCopy;
using InfisicalKms.Tests.Web.Startup;
using InfisicalKms.Web;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace InfisicalKms.Tests.Web.Operations;

/// <summary>
/// Issue 15, graceful shutdown: SIGTERM stops the real server binary under load with exit code 0, and every
/// request it answered 200 has its audit record in a chain that verifies; <c>Kms:ShutdownTimeoutSeconds</c>
/// must be a whole number of seconds.
/// </summary>
[Trait("Category", "SqliteOnly")]   // reads the SQLite file after the process has gone
public sealed class ShutdownTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-shutdown-" + Guid.NewGuid().ToString("N"));

    private readonly Dictionary<string, string> _rootKey = new() { ["ROOT_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };

    private TestDatabase _database = default!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, _directory);

    [Fact]
    public async Task Sigterm_UnderLoad_ExitsZero_AndEveryAcknowledgedEncryptHasItsAuditRecord()
    {
        // Arrange: a key, and sixteen clients encrypting under it, each request marked by its own User-Agent
        await using ServerProcess server = ServerProcess.Start("Production", _directory, _database, _rootKey);
        Uri address = await server.WaitUntilListeningAsync(Timeout);
        using HttpClient admin = await BootstrapAsync(address);
        string projectId = await LifecycleApi.CreateProjectAsync(admin, "Shutdown");
        string keyId = (string)(await LifecycleApi.CreateKeyAsync(admin, projectId, "aes"))["id"]!;
        var acknowledged = new ConcurrentQueue<string>();
        var answers = new ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();
        Task[] load = [.. Enumerable.Range(0, 16).Select(client => LoadAsync(admin, keyId, client, acknowledged, answers, stop.Token))];
        using (var warmUp = new CancellationTokenSource(Timeout))
        {
            while (acknowledged.Count < 300 && !load.Any(t => t.IsFaulted))
            {
                await Task.Delay(20, warmUp.Token);
            }
        }

        // Act: SIGTERM in the middle of it
        int beforeSignal = acknowledged.Count;
        server.Terminate();
        int exitCode = await server.WaitForExitAsync(Timeout);
        await stop.CancelAsync();
        await Task.WhenAll(load);
        output.WriteLine($"{beforeSignal} acknowledged before SIGTERM, {acknowledged.Count - beforeSignal} after; answers: " +
            string.Join(", ", answers.Select(a => $"{a.Key} x{a.Value}")) + $"\n{server.StandardOutput}{server.StandardError}");

        // Assert: a clean exit that says what it drained
        Assert.True(exitCode == 0, $"exit code {exitCode}\n{server.StandardError}");
        Assert.Matches(@"Shutting down: drained \d+ audit record\(s\) in \d+ ms; the audit log is complete\.", server.StandardOutput);
        Assert.DoesNotContain("fail:", server.StandardOutput, StringComparison.Ordinal);

        // Assert: every 200 has its record, exactly one, and the chains verify
        List<string> recorded = await EncryptRecordUserAgentsAsync();
        Assert.Empty(acknowledged.Except(recorded));
        Assert.Equal(recorded.Count, recorded.Distinct().Count());
        Assert.True(recorded.Count >= acknowledged.Count, $"{recorded.Count} records for {acknowledged.Count} acknowledged requests");
        await DbCopyTests.AssertEveryChainVerifiesAsync(_database);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("ten")]
    [InlineData("1.5")]
    [InlineData("3601")]
    public async Task Start_WithAnInvalidShutdownTimeout_RefusesNamingTheSetting(string value)
    {
        var variables = new Dictionary<string, string>(_rootKey) { ["Kms__ShutdownTimeoutSeconds"] = value };
        await using ServerProcess server = ServerProcess.Start("Production", _directory, _database, variables);

        int exitCode = await server.WaitForExitAsync(Timeout);

        Assert.Equal(1, exitCode);
        Assert.Contains("Kms:ShutdownTimeoutSeconds must be a whole number of seconds from 1 to 3600.", server.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", server.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, ShutdownOptions.DefaultSeconds)]
    [InlineData("7", 7)]
    public async Task ShutdownTimeoutSetting_IsTheHostsShutdownTimeout(string? value, int seconds)
    {
        await using var factory = new KmsWebApplicationFactory();
        await using WebApplicationFactory<Program> configured = factory.WithWebHostBuilder(b => b.UseSetting(ShutdownOptions.Key, value));

        Assert.Equal(TimeSpan.FromSeconds(seconds), configured.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    /// <summary>Until cancelled: encrypt requests, each with a User-Agent of its own, kept when answered 200.</summary>
    private static async Task LoadAsync(HttpClient admin, string keyId, int client, ConcurrentQueue<string> acknowledged,
        ConcurrentDictionary<string, int> answers, CancellationToken stop)
    {
        await Task.Yield();
        for (int n = 0; !stop.IsCancellationRequested; n++)
        {
            string userAgent = $"shutdown-test/{client}.{n}";
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/kms/keys/{keyId}/encrypt")
            {
                Content = JsonContent.Create(new { plaintext = LifecycleApi.Base64(userAgent) }),
            };
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("shutdown-test", $"{client}.{n}"));
            string answer;
            try
            {
                using HttpResponseMessage response = await admin.SendAsync(request, CancellationToken.None);
                answer = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    await response.Content.ReadAsStringAsync(CancellationToken.None);   // the whole answer, as a client acts on it
                    acknowledged.Enqueue(userAgent);
                }
            }
            catch (HttpRequestException e)
            {
                answer = e.HttpRequestError.ToString();   // the server closed or refused the connection: not acknowledged
                await Task.Delay(20, CancellationToken.None);
            }

            answers.AddOrUpdate(answer, 1, (_, count) => count + 1);
        }
    }

    private async Task<HttpClient> BootstrapAsync(Uri address)
    {
        using var anonymous = new HttpClient { BaseAddress = address, Timeout = Timeout };
        JsonObject boot = await ApiAssert.OkAsync(await anonymous.PostAsJsonAsync("/api/v1/admin/bootstrap",
            new { email = "admin@example.com", password = "correct horse battery", organization = "Example Corp" }));
        var admin = new HttpClient { BaseAddress = address, Timeout = Timeout };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)boot["identity"]!["credentials"]!["token"]!);
        return admin;
    }

    private async Task<List<string>> EncryptRecordUserAgentsAsync()
    {
        await using DbConnection connection = await _database.OpenConnectionAsync();
        await using DbCommand query = connection.CreateCommand();
        query.CommandText = $"""SELECT "UserAgent" FROM "AuditEvents" WHERE "EventType" = '{AuditEventTypes.Encrypt}' AND "Outcome" = 'success'""";
        var userAgents = new List<string>();
        await using DbDataReader reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            userAgents.Add(reader.GetString(0));
        }

        return userAgents;
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        CoreProcess.DeleteDirectory(_directory);
    }
}
