using System.Data.Common;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using InfisicalKms.Tests.Web.Startup;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace InfisicalKms.Tests.Web.DbCopy;

/// <summary>
/// Issue #14, moving an installation: <c>db copy</c> of the real server binary moves an SQLite installation to
/// PostgreSQL and back, and the server started on each copy with the same root key serves everything the
/// original had; a target that holds anything, or a source not yet migrated, is refused and left as it was.
/// </summary>
[Trait("Category", "DbCopy")]
public sealed class DbCopyTests(SqliteInstallation installation, ITestOutputHelper output) : IClassFixture<SqliteInstallation>
{
    private const string NoStackTrace = "   at ";

    [Fact]
    public async Task CopiedToPostgres_AndOnToANewSqliteFile_EachCopyServesEverythingTheOriginalHad()
    {
        // Arrange: an empty PostgreSQL database, named with a password that must never be printed
        await using TestDatabase postgres = await TestDatabase.CreateAsync(DatabaseProvider.Postgres, installation.Directory);
        string password = "pw-" + Guid.NewGuid().ToString("N");
        var ciphertexts = new List<string>(installation.Ciphertexts);
        int keyCount = installation.KeyCount;

        // Act: SQLite to PostgreSQL, the target on the command line
        (int exitCode, string stdout, string stderr) = await RunAsync(installation.Database.EnvironmentVariables,
            "db", "copy", "--to", "postgres", "--target", $"{postgres.ConnectionString};Password={password}");

        // Assert
        Assert.True(exitCode == 0, stderr);
        Assert.Equal("", stderr);
        Assert.Matches(@"Copied \d+ tables, [\d,.]+ rows; row counts match the source\. [2-9] audit chains verified \([\d,.]+ records\)\.", stdout);
        Assert.DoesNotContain(password, stdout, StringComparison.Ordinal);
        keyCount = await AssertServesAsync(postgres, ciphertexts, keyCount);
        await AssertEveryChainVerifiesAsync(postgres);

        // Act: PostgreSQL (with what was written there since) to a new SQLite file, the target from the environment
        await using TestDatabase sqlite = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, Path.Combine(installation.Directory, "moved-back"));
        var variables = new Dictionary<string, string>(postgres.EnvironmentVariables) { ["KMS_DB_COPY_TARGET"] = "Data Source=moved-back/kms.db" };
        (exitCode, stdout, stderr) = await RunAsync(variables, "db", "copy", "--to", "sqlite");

        // Assert: the migrations made SQLite's own trigger-kept tables too
        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"to the SQLite database {sqlite.SqlitePath}.", stdout, StringComparison.Ordinal);
        Assert.Equal(4L, await ScalarAsync(sqlite, """SELECT COUNT(*) FROM "CacheStamps" """));
        Assert.Equal((long)keyCount, await ScalarAsync(sqlite, """SELECT SUM("Count") FROM "ProjectKeyCounts" """));
        await AssertServesAsync(sqlite, ciphertexts, keyCount);
        await AssertEveryChainVerifiesAsync(sqlite);
    }

    [Fact]
    public async Task CopyIntoAnSqliteFileThatIsNotEmpty_IsRefused_AndTheFileIsUnchanged()
    {
        // Arrange: the installation on PostgreSQL, and an SQLite file that already holds a database
        await using TestDatabase postgres = await TestDatabase.CreateAsync(DatabaseProvider.Postgres, installation.Directory);
        Assert.Equal(0, (await RunAsync(installation.Database.EnvironmentVariables, "db", "copy", "--to", "postgres", "--target", postgres.ConnectionString)).ExitCode);
        await using TestDatabase occupied = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, Path.Combine(installation.Directory, "occupied"));
        await occupied.ExecuteAsync("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL); INSERT INTO notes VALUES (1, 'keep me');");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        byte[] before = await File.ReadAllBytesAsync(occupied.SqlitePath!);

        // Act
        (int exitCode, string stdout, string stderr) = await RunAsync(postgres.EnvironmentVariables,
            "db", "copy", "--to=sqlite", $"--target=Data Source={occupied.SqlitePath}");

        // Assert
        Assert.Equal(1, exitCode);
        Assert.Equal($"The SQLite file named by --target is not empty: {occupied.SqlitePath}. db copy only copies into a new database; nothing was changed.",
            stderr.Trim());
        Assert.DoesNotContain("Copied", stdout, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(occupied.SqlitePath!));
    }

    [Fact]
    public async Task CopyIntoAPostgresDatabaseWithATable_IsRefused_AndTheDatabaseIsUnchanged()
    {
        // Arrange
        await using TestDatabase postgres = await TestDatabase.CreateAsync(DatabaseProvider.Postgres, installation.Directory);
        await postgres.ExecuteAsync("CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)");
        await postgres.ExecuteAsync("INSERT INTO notes VALUES (1, 'keep me')");

        // Act
        (int exitCode, _, string stderr) = await RunAsync(installation.Database.EnvironmentVariables,
            "db", "copy", "--to", "postgres", "--target", postgres.ConnectionString);

        // Assert: one line, no stack trace, and nothing created or changed
        Assert.Equal(1, exitCode);
        Assert.Equal("The PostgreSQL database named by --target is not empty (1 table(s) in its schema). db copy only copies into an empty database; nothing was changed.",
            stderr.Trim());
        Assert.Equal(1L, await ScalarAsync(postgres, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"));
        Assert.Equal("keep me", await ScalarAsync(postgres, "SELECT string_agg(body, ',') FROM notes"));
    }

    [Fact]
    public async Task CopyOfADatabaseTheServerNeverMigrated_IsRefused_AndTheTargetStaysEmpty()
    {
        // Arrange: an empty SQLite file as the configured database
        string neverStarted = Path.Combine(installation.Directory, "never-started");
        Directory.CreateDirectory(neverStarted);
        await File.WriteAllBytesAsync(Path.Combine(neverStarted, "kms.db"), []);
        await using TestDatabase postgres = await TestDatabase.CreateAsync(DatabaseProvider.Postgres, installation.Directory);
        var variables = new Dictionary<string, string>
        {
            ["ConnectionStrings__Kms"] = "Data Source=never-started/kms.db",
            ["KMS_DB_COPY_TARGET"] = postgres.ConnectionString,
        };

        // Act
        (int exitCode, _, string stderr) = await RunAsync(variables, "db", "copy", "--to", "postgres");

        // Assert
        Assert.Equal(1, exitCode);
        Assert.Matches(@"^The database named by ConnectionStrings:Kms has \d+ migration\(s\) not applied: start the server on it once with this version, stop it, then copy\.$",
            stderr.Trim());
        Assert.DoesNotContain(NoStackTrace, stderr, StringComparison.Ordinal);
        Assert.Equal(0L, await ScalarAsync(postgres, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"));
        Assert.Equal(0, new FileInfo(Path.Combine(neverStarted, "kms.db")).Length);
    }

    /// <summary>
    /// The server on the copy, with the same root key and the admin token issued before the copy: the old
    /// ciphertexts decrypt, the old signatures verify, the key list counts the keys, the project's chain
    /// verifies. Then it writes after the copied rows (a key, a ciphertext, their audit records) and checks
    /// the count and the chain again. Returns the new key count; the new ciphertext is added to <paramref name="ciphertexts"/>.
    /// </summary>
    private async Task<int> AssertServesAsync(TestDatabase database, List<string> ciphertexts, int keyCount)
    {
        await using ServerProcess server = installation.Start(database);
        Uri address = await server.WaitUntilListeningAsync(SqliteInstallation.Timeout);
        using HttpClient admin = installation.Admin(address);
        foreach (string ciphertext in ciphertexts)
        {
            Assert.Equal(SqliteInstallation.Plaintext, await LifecycleApi.DecryptOkAsync(admin, installation.AesKeyId, ciphertext));
        }

        foreach ((string keyId, string algorithm, string signature) in installation.Signatures)
        {
            Assert.True(await VerifyAsync(admin, keyId, algorithm, SqliteInstallation.Message, signature), $"{algorithm} signature");
            Assert.False(await VerifyAsync(admin, keyId, algorithm, "another message", signature), $"{algorithm} signature of another message");
        }

        Assert.Equal(keyCount, await KeyCountAsync(admin));
        await AssertChainVerifiesAsync(admin);

        await LifecycleApi.CreateKeyAsync(admin, installation.ProjectId, LifecycleApi.Name("after-copy"));
        ciphertexts.Add(await LifecycleApi.EncryptAsync(admin, installation.AesKeyId, SqliteInstallation.Plaintext));
        Assert.Equal(keyCount + 1, await KeyCountAsync(admin));
        await AssertChainVerifiesAsync(admin);
        await server.StopAsync();
        Assert.DoesNotContain(installation.RootEncryptionKey, server.StandardOutput + server.StandardError, StringComparison.Ordinal);
        return keyCount + 1;
    }

    private async Task<int> KeyCountAsync(HttpClient admin) =>
        (int)(await ApiAssert.OkAsync(await admin.GetAsync($"/api/v1/kms/keys?projectId={installation.ProjectId}")))["totalCount"]!;

    private async Task AssertChainVerifiesAsync(HttpClient admin)
    {
        JsonObject verify = await ApiAssert.OkAsync(await admin.GetAsync($"/api/v1/projects/{installation.ProjectId}/audit-logs/verify"));
        Assert.True((bool)verify["valid"]!, verify.ToJsonString());
    }

    private static async Task<bool> VerifyAsync(HttpClient admin, string keyId, string algorithm, string message, string signature) =>
        (bool)(await ApiAssert.OkAsync(await admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/verify",
            new { signingAlgorithm = algorithm, data = LifecycleApi.Base64(message), signature })))["signatureValid"]!;

    /// <summary>Every chain in the database, the organization's too (the API verifies only projects'), walked as the server walks them.</summary>
    internal static async Task AssertEveryChainVerifiesAsync(TestDatabase database)
    {
        var options = new DbContextOptionsBuilder<KmsDbContext>();
        options.UseKmsDatabase(StorageLocation.From(database.Provider, database.ConnectionString));
        await using var db = new KmsDbContext(options.Options);
        List<Guid> chains = await db.AuditChainHeads.Select(h => h.ChainId).ToListAsync();
        Assert.True(chains.Count >= 2, $"{chains.Count} chains");
        foreach (Guid chain in chains)
        {
            AuditChainReport report = await AuditLogService.VerifyChainAsync(db, chain, CancellationToken.None);
            Assert.True(report.Valid, $"chain {chain}: {report.Problem}");
            Assert.True(report.Checked > 0, $"chain {chain} is empty");
        }
    }

    private static async Task<object?> ScalarAsync(TestDatabase database, string sql)
    {
        await using DbConnection connection = await database.OpenConnectionAsync();
        await using DbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string> variables, params string[] arguments)
    {
        await using ServerProcess command = ServerProcess.Run(installation.Directory, variables, arguments);
        int exitCode = await command.WaitForExitAsync(SqliteInstallation.Timeout);
        output.WriteLine($"$ {string.Join(' ', arguments.Where(a => !a.Contains("Password", StringComparison.Ordinal)))}  -> {exitCode}\n{command.StandardOutput}{command.StandardError}");
        Assert.DoesNotContain(NoStackTrace, command.StandardError, StringComparison.Ordinal);
        return (exitCode, command.StandardOutput, command.StandardError);
    }
}
