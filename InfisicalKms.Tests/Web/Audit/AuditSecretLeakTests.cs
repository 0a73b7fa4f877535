using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using InfisicalKms.Tests.Web.Startup;
using Microsoft.Data.Sqlite;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>
/// Issue #6: the real server binary, logging at Debug, runs a full workload with distinctive secrets — the bootstrap
/// password and token, client secrets, access tokens, plaintexts, associated data, data to sign, digests,
/// signatures, MACs, ciphertexts, data keys, exported and imported key material, and a request refused because
/// the audit log was down. Afterwards no audit record (every column of every row), no line of the server's
/// output and no byte of the database files holds any of them in any encoding (spec §10.7: "Audit events never
/// contain …"). Control values sent in the User-Agent and a query string prove the searches find what is there.
/// </summary>
public sealed class AuditSecretLeakTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-leak-" + Guid.NewGuid().ToString("N"));

    /// <summary>Must appear nowhere: not in a record, the log or the database files.</summary>
    private readonly SecretSearch _never = new();

    /// <summary>Public keys: stored with their key and harmless in a log, but never part of a record.</summary>
    private readonly SecretSearch _notInRecords = new();

    public AuditSecretLeakTests() => Directory.CreateDirectory(_directory);

    private string DatabasePath => Path.Combine(_directory, "kms.db");

    [Fact]
    public async Task FullRun_AuditRecordsServerLogAndDatabase_HoldNoSecret()
    {
        // Arrange: the server in Production with a root key of its own and everything logged down to Debug.
        string rootKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        _never.Text("root encryption key", rootKey).Base64("root encryption key", rootKey);
        await using ServerProcess server = ServerProcess.Start("Production", DatabasePath, new Dictionary<string, string>
        {
            ["ROOT_ENCRYPTION_KEY"] = rootKey,
            ["Logging__LogLevel__Default"] = "Debug",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Debug",
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Debug",
        });
        Uri address = await server.WaitUntilListeningAsync(Timeout);

        string uaText = "ua-control-" + Guid.NewGuid().ToString("N");
        byte[] uaBase64 = UrlSafeBase64Bytes();
        byte[] uaHex = RandomNumberGenerator.GetBytes(20);
        string agent = $"leak-audit/1.0 ({uaText}) {Convert.ToBase64String(uaBase64)} {Convert.ToHexStringLower(uaHex)}";
        var workload = new AuditLeakWorkload(address, agent, _never, _notInRecords, DatabasePath);

        // Act
        (string keyName, string keyId) = await workload.RunAsync();
        string logText = "log-control-" + Guid.NewGuid().ToString("N");
        byte[] logBase64 = UrlSafeBase64Bytes();
        byte[] logHex = RandomNumberGenerator.GetBytes(20);
        using (HttpClient anonymous = workload.Client(null))
        {
            string query = $"?c={logText}&b={Convert.ToBase64String(logBase64)}&h={Convert.ToHexStringLower(logHex)}";
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri("/api/status" + query, UriKind.Relative))).StatusCode);
        }

        await WaitForLogAsync(server, logText);   // the console logger writes in order: everything before it is out too
        await server.StopAsync();
        string log = server.StandardOutput + server.StandardError;
        (string records, List<string> eventTypes) = await ReadAuditTablesAsync();
        string files = ReadDatabaseFiles();

        // Assert: the searches find values that are there (each encoding), and the workload reached the audit log.
        Assert.Superset(new HashSet<string> { "ua (text)", "ua (base64)", "ua (hex)", "key name" }, new SecretSearch()
            .Text("ua (text)", uaText).Bytes("ua", uaBase64).Bytes("ua", uaHex).Text("key name", keyName).LabelsIn(records));
        Assert.Superset(new HashSet<string> { "log (text)", "log (base64)", "log (hex)", "key id" }, new SecretSearch()
            .Text("log (text)", logText).Bytes("log", logBase64).Bytes("log", logHex).Text("key id", keyId).LabelsIn(log));
        Assert.Contains("audit down", log, StringComparison.Ordinal);
        Assert.Contains("key name", new SecretSearch().Text("key name", keyName).LabelsIn(files));   // the refused request's error was logged, with its cause
        Assert.Superset(
            new HashSet<string>
            {
                "bootstrap-instance", "login-identity-universal-auth", "renew-access-token", "revoke-access-token", "create-cmek", "cmek-encrypt",
                "cmek-decrypt", "cmek-sign", "cmek-verify", "cmek-generate-mac", "cmek-verify-mac", "cmek-generate-data-key", "cmek-rewrap",
                "cmek-get-private-key", "cmek-get-public-key", "cmek-import", "create-identity-universal-auth-client-secret",
            },
            eventTypes.ToHashSet());

        // Assert: no secret anywhere.
        AssertNone(_never.FindIn(records), "audit records");
        AssertNone(_notInRecords.FindIn(records), "audit records");
        AssertNone(_never.FindIn(log), "server output");
        AssertNone(_never.FindIn(files), "database files");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open goes with the temp folder later; never fail a run on it.
        }
    }

    private static void AssertNone(List<string> found, string where) =>
        Assert.True(found.Count == 0, $"{found.Count} secret(s) in the {where}:\n{string.Join('\n', found)}");

    /// <summary>Random bytes whose base64 has no <c>+</c>, <c>/</c> or padding, so it survives a URL unencoded.</summary>
    private static byte[] UrlSafeBase64Bytes()
    {
        while (true)
        {
            byte[] bytes = RandomNumberGenerator.GetBytes(30);
            string text = Convert.ToBase64String(bytes);
            if (!text.Contains('+') && !text.Contains('/'))
            {
                return bytes;
            }
        }
    }

    private static async Task WaitForLogAsync(ServerProcess server, string marker)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!server.StandardOutput.Contains(marker, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the server never logged the control request.\n{server.StandardOutput}");
            await Task.Delay(100);
        }
    }

    /// <summary>Every column of every row of the audit tables, as stored, one value per line; and the event types.</summary>
    private async Task<(string Text, List<string> EventTypes)> ReadAuditTablesAsync()
    {
        var text = new StringBuilder();
        var eventTypes = new List<string>();
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        foreach (string table in new[] { "AuditEvents", "AuditChainHeads" })
        {
            await using SqliteCommand command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {table}";
            await using SqliteDataReader reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                for (int i = 0; i < reader.FieldCount; i++)
                {
                    object value = reader.GetValue(i);
                    text.AppendLine(value is byte[] blob
                        ? Convert.ToBase64String(blob) + " " + Convert.ToHexStringLower(blob)
                        : Convert.ToString(value, CultureInfo.InvariantCulture));
                    if (table == "AuditEvents" && reader.GetName(i) == "EventType")
                    {
                        eventTypes.Add(reader.GetString(i));
                    }
                }
            }
        }

        Assert.True(eventTypes.Count > 30, $"only {eventTypes.Count} audit records");
        return (text.ToString(), eventTypes);
    }

    /// <summary>The raw bytes of the database and its journal files, as Latin-1 text (every encoding searched is ASCII).</summary>
    private string ReadDatabaseFiles() =>
        string.Concat(Directory.GetFiles(_directory, "kms.db*").Select(path => Encoding.Latin1.GetString(File.ReadAllBytes(path))));
}
