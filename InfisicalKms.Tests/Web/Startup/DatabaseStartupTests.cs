using System.Data.Common;
using System.Security.Cryptography;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Startup;

/// <summary>
/// Issue #14: the real server binary on PostgreSQL. A provider it does not know, a connection string it cannot
/// read, or a server it cannot reach refuses start-up with a message that names the setting and no password;
/// a started instance keeps its Data Protection key ring in the database, sealed by the root key.
/// </summary>
public sealed class DatabaseStartupTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-dbstart-" + Guid.NewGuid().ToString("N"));

    public DatabaseStartupTests() => Directory.CreateDirectory(_directory);

    public static TheoryData<string, string, string> Refusals => new()
    {
        { "Mongo", "Host=127.0.0.1;Database=kms", "Kms:Database:Provider must be Sqlite or Postgres, not \"Mongo\"." },
        { "Postgres", "", "Kms:Database:Provider is Postgres, so ConnectionStrings:Kms must be set" },
        { "Postgres", "Host=127.0.0.1;Database=kms;Password=hunter2-secret;Bogus Keyword=1", "ConnectionStrings:Kms is not a valid PostgreSQL connection string" },
        { "Postgres", "Database=kms;Password=hunter2-secret", "ConnectionStrings:Kms must name a Host and a Database" },
        // Nothing listens on port 1: the server is unreachable.
        { "Postgres", "Host=127.0.0.1;Port=1;Database=kms;Username=kms;Password=hunter2-secret;Timeout=3", "Cannot reach the PostgreSQL database named by ConnectionStrings:Kms" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Start_WithABadDatabaseSetting_RefusesNamingTheSettingAndNoPassword(string provider, string connectionString, string message)
    {
        // Arrange
        var environment = new Dictionary<string, string>
        {
            ["ROOT_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Kms__Database__Provider"] = provider,
            ["ConnectionStrings__Kms"] = connectionString,
        };

        // Act
        await using ServerProcess server = ServerProcess.Run(_directory, environment, "--urls", "http://127.0.0.1:0");
        int exitCode = await server.WaitForExitAsync(ExitTimeout);

        // Assert
        Assert.Equal(1, exitCode);
        Assert.Contains(message, server.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", server.StandardError + server.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.StandardError, StringComparison.Ordinal);   // a refusal, not a stack trace
    }

    [Fact]
    public async Task Start_OnPostgres_KeepsTheDataProtectionKeyRingInTheDatabaseSealedByTheRootKey()
    {
        // Arrange
        await using TestDatabase database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres, _directory);

        // Act: start, and sign-in machinery makes its first key
        await using ServerProcess server = ServerProcess.Start("Production", _directory, database, new Dictionary<string, string>
        {
            ["ROOT_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        });
        Uri address = await server.WaitUntilListeningAsync(TimeSpan.FromSeconds(90));
        using var http = new HttpClient { BaseAddress = address };
        (await http.GetAsync("/Account/Login")).EnsureSuccessStatusCode();   // renders an antiforgery token
        List<string> ring = await KeyRingAsync(database);

        // Assert
        string xml = Assert.Single(ring);
        Assert.Contains("<sealedByRootKey", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("No XML encryptor configured", server.StandardOutput, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(_directory, "dataprotection-keys", SearchOption.AllDirectories));
    }

    public void Dispose() => CoreProcess.DeleteDirectory(_directory);

    private static async Task<List<string>> KeyRingAsync(TestDatabase database)
    {
        await using DbConnection connection = await database.OpenConnectionAsync();
        await using DbCommand command = connection.CreateCommand();
        command.CommandText = """SELECT "Xml" FROM "DataProtectionKeys" """;
        await using DbDataReader reader = await command.ExecuteReaderAsync();
        var ring = new List<string>();
        while (await reader.ReadAsync())
        {
            ring.Add(reader.GetString(0));
        }

        return ring;
    }
}
