using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Audit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AuditThroughput;

/// <summary>
/// The real server (Production, Kestrel on a loopback port, a fresh SQLite file) in this process. With
/// <paramref name="auditing"/> false, the only difference is <see cref="IAuditSink"/>: a sink that discards.
/// </summary>
internal sealed class BenchServer(string name, bool auditing) : WebApplicationFactory<Program>
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-audit-bench-" + Guid.NewGuid().ToString("N"));
    private readonly MeterListener _writerMeter = new();
    private long _commits;
    private long _committedRecords;

    public string Name { get; } = name;

    public bool Auditing { get; } = auditing;

    public string DatabasePath => Path.Combine(_directory, "kms.db");

    /// <summary>A client for the encrypt route, with the bootstrap token; set by <see cref="StartAsync"/>.</summary>
    public HttpClient Client { get; private set; } = null!;

    public string ProjectId { get; private set; } = "";

    public string EncryptPath { get; private set; } = "";

    /// <summary>This server's audit writer so far, from its meter: batches committed and the records they held (zero with auditing off).</summary>
    public AuditWrites Writes => new(Interlocked.Read(ref _commits), Interlocked.Read(ref _committedRecords));

    /// <summary>The commit delay this server runs with (<c>Kms__Audit__CommitDelayMs</c> in the environment changes it).</summary>
    public TimeSpan CommitDelay => Services.GetRequiredService<IOptions<AuditWriterSettings>>().Value.CommitDelay;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Directory.CreateDirectory(_directory);
        builder.UseEnvironment("Production");
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Kms"] = $"Data Source={DatabasePath}",
            ["ROOT_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Logging:LogLevel:Default"] = "Warning",   // as bench/run.sh: no per-request log lines
            ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",   // its key-ring warning says nothing here
        }));
        if (!Auditing)
        {
            builder.ConfigureTestServices(services =>
            {
                services.RemoveAll<IAuditSink>();
                services.AddSingleton<IAuditSink, DiscardingAuditSink>();
            });
        }
    }

    /// <summary>Starts Kestrel, then bootstraps, creates a project and an AES-256-GCM key through the API.</summary>
    public async Task StartAsync()
    {
        UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        StartServer();
        ListenToAuditWriter();
        Client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = ClientOptions.BaseAddress,
        };

        JsonObject boot = await PostAsync("/api/v1/admin/bootstrap",
            new { email = "bench@example.com", password = "benchmark passphrase", organization = "Bench" });
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)boot["identity"]!["credentials"]!["token"]!);
        JsonObject project = await PostAsync("/api/v1/projects", new { projectName = "Bench" });
        ProjectId = (string)project["project"]!["id"]!;
        JsonObject key = await PostAsync("/api/v1/kms/keys", new { projectId = ProjectId, name = "bench-key", encryptionAlgorithm = "aes-256-gcm" });
        EncryptPath = $"/api/v1/kms/keys/{(string)key["key"]!["id"]!}/encrypt";
    }

    /// <summary>Encrypt records in the database file, read through a connection of its own.</summary>
    public async Task<(long Success, long Failure)> CountEncryptRecordsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FILTER (WHERE Outcome = 'success'), COUNT(*) FILTER (WHERE Outcome <> 'success') "
            + "FROM AuditEvents WHERE EventType = $type";
        command.Parameters.AddWithValue("$type", AuditEventTypes.Encrypt);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>
    /// The file's journal mode (stored in the file) and the <c>synchronous</c> level a new connection gets,
    /// which is what the server's connections use: Core sets neither per connection.
    /// </summary>
    public async Task<string> StorageModeAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        string journal = (string)(await command.ExecuteScalarAsync())!;
        command.CommandText = "PRAGMA synchronous";
        long synchronous = (long)(await command.ExecuteScalarAsync())!;
        string level = synchronous switch { 0 => "OFF", 1 => "NORMAL", 2 => "FULL", _ => "EXTRA" };
        return $"journal_mode={journal}, synchronous={level}";
    }

    /// <summary>The project's chain as the API verifies it: (valid, records checked).</summary>
    public async Task<(bool Valid, long Checked)> VerifyChainAsync()
    {
        JsonObject report = (await Client.GetFromJsonAsync<JsonObject>($"/api/v1/projects/{ProjectId}/audit-logs/verify"))!;
        return ((bool)report["valid"]!, (long)report["checked"]!);
    }

    protected override void Dispose(bool disposing)
    {
        _writerMeter.Dispose();
        Client?.Dispose();
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open goes with the temp folder later; never fail the report on it.
        }
    }

    /// <summary>Sums the writer's commit and record counters, from this server's meters only.</summary>
    private void ListenToAuditWriter()
    {
        IMeterFactory meters = Services.GetRequiredService<IMeterFactory>();
        _writerMeter.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Meter.Name == AuditWriter.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _writerMeter.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            switch (instrument.Name)
            {
                case AuditWriter.CommitsCounter:
                    Interlocked.Add(ref _commits, value);
                    break;
                case AuditWriter.CommittedRecordsCounter:
                    Interlocked.Add(ref _committedRecords, value);
                    break;
            }
        });
        _writerMeter.Start();
    }

    private async Task<JsonObject> PostAsync(string path, object body)
    {
        using HttpResponseMessage response = await Client.PostAsJsonAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {text}");
        }

        return JsonNode.Parse(text)!.AsObject();
    }
}

/// <summary>Audit writer totals: transactions committed and the records they carried.</summary>
internal readonly record struct AuditWrites(long Commits, long Records)
{
    public static AuditWrites operator -(AuditWrites after, AuditWrites before) =>
        new(after.Commits - before.Commits, after.Records - before.Records);
}
