using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using InfisicalKms.Tests.Web.DbCopy;
using InfisicalKms.Tests.Web.Startup;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace InfisicalKms.Tests.Web.Operations;

/// <summary>
/// Issue 15: <c>backup</c> of the real server binary copies a serving SQLite installation consistently, and
/// <c>restore</c> puts a backup into a new installation only after it checks out with the root key; anything
/// it refuses leaves the target as it was.
/// </summary>
[Trait("Category", "Backup")]
public sealed class BackupRestoreTests(SqliteInstallation installation, ITestOutputHelper output) : IClassFixture<SqliteInstallation>
{
    private const string NoStackTrace = "   at ";
    private const int MaxBackupAttempts = 5;

    [Fact]
    public async Task BackupUnderLoad_RestoredIntoAFreshFolder_ServesEveryKeyAcknowledgedBeforeIt_AndEveryChainVerifies()
    {
        // Arrange: the installation serving, with clients creating keys and encrypting under them meanwhile
        var acknowledged = new ConcurrentQueue<(string KeyId, string Ciphertext)>();
        (string KeyId, string Ciphertext)[] beforeBackup = [];
        string backup = "";
        int exitCode = -1;
        string stdout = "", stderr = "";
        await using (ServerProcess server = installation.Start(installation.Database))
        {
            Uri address = await server.WaitUntilListeningAsync(SqliteInstallation.Timeout);
            using HttpClient admin = installation.Admin(address);
            using var stop = new CancellationTokenSource();
            Task[] load = [.. Enumerable.Range(0, 6).Select(_ => LoadAsync(admin, acknowledged, stop.Token))];
            await WaitUntilAsync(() => acknowledged.Count >= 30 || load.Any(t => t.IsFaulted));

            // Act: the backup, while the load goes on. A backup of this small database takes about as long as a few
            // requests, so one may begin and end between two acknowledgements; then it is taken again, to a new file,
            // until one overlapped the load. A server that stopped serving while backups ran fails every attempt.
            int duringBackup = 0;
            for (int attempt = 1; duringBackup == 0 && attempt <= MaxBackupAttempts; attempt++)
            {
                backup = Path.Combine(installation.Directory, "backups", $"kms-{Guid.NewGuid():N}.db");
                beforeBackup = [.. acknowledged];
                var elapsed = Stopwatch.StartNew();
                (exitCode, stdout, stderr) = await RunAsync(installation.Directory, installation.Database.EnvironmentVariables, "backup", "--to", backup);
                duringBackup = acknowledged.Count - beforeBackup.Length;
                output.WriteLine($"backup {attempt}: {beforeBackup.Length} keys acknowledged before it, {duringBackup} during its {elapsed.ElapsedMilliseconds} ms");
                Assert.True(exitCode == 0, stderr);
            }

            await stop.CancelAsync();
            await Task.WhenAll(load);   // a request the server failed under a backup fails the test here
            Assert.True(duringBackup > 0, $"the load did not go on while any of {MaxBackupAttempts} backups ran");
        }

        // Assert: the backup
        Assert.True(exitCode == 0, stderr);
        Assert.Equal("", stderr);
        Assert.Matches($@"^Backed up the SQLite database {Regex.Escape(installation.Database.SqlitePath!)} to {Regex.Escape(backup)}: [\d,]+ bytes, [\d,]+ keys, [\d,]+ audit records; SQLite's integrity check passed\.",
            stdout);

        // Act: restore into a fresh folder, with the default Data Source (data/kms.db under the working directory)
        string fresh = Path.Combine(installation.Directory, "restored-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(fresh);
        (exitCode, stdout, stderr) = await RunAsync(fresh, RootKey(installation.RootEncryptionKey), "restore", "--from", backup);

        // Assert: restored, and nothing else left beside it
        Assert.True(exitCode == 0, stderr);
        Assert.Matches(@"Checked: SQLite's integrity, the root key, [2-9]\d* audit chains \([\d,]+ records\), [1-9][\d,]* of [1-9][\d,]* key versions and [1-9]\d* sign-in keys unwrapped\.", stdout);
        string data = Path.Combine(fresh, "data");
        Assert.Equal(["kms.db"], Directory.EnumerateFileSystemEntries(data).Select(Path.GetFileName));

        // Assert: a server on the restored folder decrypts every ciphertext acknowledged before the backup began
        await using (ServerProcess restored = ServerProcess.Start("Production", Path.Combine(data, "kms.db"), RootKey(installation.RootEncryptionKey)))
        {
            using HttpClient admin = installation.Admin(await restored.WaitUntilListeningAsync(SqliteInstallation.Timeout));
            foreach ((string keyId, string ciphertext) in beforeBackup)
            {
                Assert.Equal(SqliteInstallation.Plaintext, await LifecycleApi.DecryptOkAsync(admin, keyId, ciphertext));
            }

            foreach (string ciphertext in installation.Ciphertexts)
            {
                Assert.Equal(SqliteInstallation.Plaintext, await LifecycleApi.DecryptOkAsync(admin, installation.AesKeyId, ciphertext));
            }

            await restored.StopAsync();
        }

        await using TestDatabase restoredDatabase = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, data);
        await DbCopyTests.AssertEveryChainVerifiesAsync(restoredDatabase);
    }

    [Fact]
    public async Task Restore_OverAnExistingDatabase_IsRefused_AndTheDatabaseIsUnchanged()
    {
        // Arrange: a folder whose database holds something
        string backup = await BackupAsync();
        string folder = NewFolder();
        string database = Path.Combine(folder, "data", "kms.db");
        Directory.CreateDirectory(Path.GetDirectoryName(database)!);
        await using (var connection = new SqliteConnection($"Data Source={database};Pooling=False"))
        {
            await connection.OpenAsync();
            await using SqliteCommand create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');";
            await create.ExecuteNonQueryAsync();
        }

        byte[] before = await File.ReadAllBytesAsync(database);

        // Act
        (int exitCode, _, string stderr) = await RunAsync(folder, RootKey(installation.RootEncryptionKey), "restore", "--from", backup);

        // Assert
        Assert.Equal(1, exitCode);
        Assert.Equal($"The SQLite database named by ConnectionStrings:Kms already exists: {database}. restore only restores into a new installation " +
            "(stop the server, and move that database away if it is to be replaced); nothing was changed.", stderr.Trim());
        Assert.Equal(before, await File.ReadAllBytesAsync(database));
        Assert.Equal(["kms.db"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(database)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Restore_FromAMissingFile_IsRefused_AndWritesNothing()
    {
        string folder = NewFolder();
        string missing = Path.Combine(installation.Directory, "no-such-backup.db");

        (int exitCode, _, string stderr) = await RunAsync(folder, RootKey(installation.RootEncryptionKey), "restore", "--from", missing);

        Assert.Equal(1, exitCode);
        Assert.Equal($"There is no backup file at {missing}; nothing was changed.", stderr.Trim());
        AssertNoDatabase(folder);
    }

    [Theory]
    [InlineData("random bytes")]
    [InlineData("truncated")]
    [InlineData("an SQLite file of something else")]
    public async Task Restore_FromACorruptFile_IsRefused_AndLeavesTheFolderEmpty(string corruption)
    {
        // Arrange
        string corrupt = Path.Combine(NewFolder(), "corrupt.db");
        switch (corruption)
        {
            case "random bytes":
                await File.WriteAllBytesAsync(corrupt, RandomNumberGenerator.GetBytes(64 * 1024));
                break;
            case "truncated":
                byte[] whole = await File.ReadAllBytesAsync(await BackupAsync());
                await File.WriteAllBytesAsync(corrupt, whole[..(whole.Length / 2)]);
                break;
            default:
                await using (var connection = new SqliteConnection($"Data Source={corrupt};Pooling=False"))
                {
                    await connection.OpenAsync();
                    await using SqliteCommand create = connection.CreateCommand();
                    create.CommandText = "CREATE TABLE notes (body TEXT)";
                    await create.ExecuteNonQueryAsync();
                }

                break;
        }

        string folder = NewFolder();

        // Act
        (int exitCode, _, string stderr) = await RunAsync(folder, RootKey(installation.RootEncryptionKey), "restore", "--from", corrupt);

        // Assert: one line that says why, and no database
        Assert.Equal(1, exitCode);
        Assert.Matches(corruption switch
        {
            "random bytes" => @"^The backup cannot be restored: SQLite Error 26: 'file is not a database'\. Nothing was changed\.$",
            "truncated" => @"^The backup (fails SQLite's integrity check|cannot be restored: SQLite Error 11).*[Nn]othing was changed\.$",
            _ => @"^The backup is an SQLite database, but not one of InfisicalKms \(.*no such table.*\); nothing was changed\.$",
        }, stderr.Trim());
        AssertNoDatabase(folder);
    }

    [Fact]
    public async Task Restore_OfABackupWhoseAuditChainWasTampered_IsRefused_AndLeavesTheFolderEmpty()
    {
        // Arrange: one audit record of the backup changed after the fact
        string backup = await BackupAsync();
        await using (var connection = new SqliteConnection($"Data Source={backup};Pooling=False"))
        {
            await connection.OpenAsync();
            await using SqliteCommand tamper = connection.CreateCommand();
            tamper.CommandText = """UPDATE "AuditEvents" SET "ActorName" = 'someone else' WHERE "Sequence" = (SELECT "Sequence" FROM "AuditEvents" ORDER BY "Sequence" DESC LIMIT 1 OFFSET 1)""";
            Assert.Equal(1, await tamper.ExecuteNonQueryAsync());
        }

        string folder = NewFolder();

        // Act
        (int exitCode, _, string stderr) = await RunAsync(folder, RootKey(installation.RootEncryptionKey), "restore", "--from", backup);

        // Assert
        Assert.Equal(1, exitCode);
        Assert.Matches(@"^The audit chain [0-9a-f-]{36} does not verify at record [0-9a-f-]{36}: Its contents do not match its hash: the record was modified\. Nothing was changed\.$",
            stderr.Trim());
        AssertNoDatabase(folder);
    }

    [Fact]
    public async Task Restore_WithAnotherRootKey_IsRefused_AndLeavesTheFolderEmpty()
    {
        string backup = await BackupAsync();
        string folder = NewFolder();
        string otherKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        (int exitCode, string stdout, string stderr) = await RunAsync(folder, RootKey(otherKey), "restore", "--from", backup);

        Assert.Equal(1, exitCode);
        Assert.StartsWith("ROOT_ENCRYPTION_KEY cannot decrypt the stored root key.", stderr.Trim(), StringComparison.Ordinal);
        Assert.EndsWith("Nothing was changed.", stderr.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain(otherKey, stdout + stderr, StringComparison.Ordinal);
        AssertNoDatabase(folder);
    }

    [Fact]
    public async Task Backup_ToAFileThatExists_IsRefused_AndTheFileIsUnchanged()
    {
        string existing = Path.Combine(NewFolder(), "existing.db");
        await File.WriteAllTextAsync(existing, "an older backup");

        (int exitCode, _, string stderr) = await RunAsync(installation.Directory, installation.Database.EnvironmentVariables, "backup", "--to", existing);

        Assert.Equal(1, exitCode);
        Assert.Equal($"{existing} already exists: backup never overwrites a file. Choose a new name; nothing was changed.", stderr.Trim());
        Assert.Equal("an older backup", await File.ReadAllTextAsync(existing));
        Assert.Equal(["existing.db"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(existing)!).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("backup", "--to", "pg_dump")]
    [InlineData("restore", "--from", "pg_restore")]
    public async Task BackupAndRestore_OnPostgres_AreRefused_PointingToItsOwnTools(string command, string option, string tool)
    {
        string folder = NewFolder();
        var postgres = new Dictionary<string, string>
        {
            ["Kms__Database__Provider"] = "Postgres",
            ["ConnectionStrings__Kms"] = "Host=127.0.0.1;Port=1;Database=kms;Username=kms",   // never contacted
        };

        (int exitCode, _, string stderr) = await RunAsync(folder, postgres, command, option, Path.Combine(folder, "kms.db"));

        Assert.Equal(1, exitCode);
        Assert.StartsWith($"{command} works on SQLite installations only (Kms:Database:Provider is Postgres).", stderr.Trim(), StringComparison.Ordinal);
        Assert.Contains(tool, stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories));
    }

    /// <summary>Until cancelled: a new key, then a ciphertext under it, recorded once both were answered 200.</summary>
    private async Task LoadAsync(HttpClient admin, ConcurrentQueue<(string, string)> acknowledged, CancellationToken stop)
    {
        await Task.Yield();
        while (!stop.IsCancellationRequested)
        {
            string keyId = (string)(await LifecycleApi.CreateKeyAsync(admin, installation.ProjectId, LifecycleApi.Name("load")))["id"]!;
            acknowledged.Enqueue((keyId, await LifecycleApi.EncryptAsync(admin, keyId, SqliteInstallation.Plaintext)));
        }
    }

    /// <summary>A backup of the (stopped) installation, as a file of the test's own.</summary>
    private async Task<string> BackupAsync()
    {
        string backup = Path.Combine(NewFolder(), "kms-backup.db");
        (int exitCode, _, string stderr) = await RunAsync(installation.Directory, installation.Database.EnvironmentVariables, "backup", "--to", backup);
        Assert.True(exitCode == 0, stderr);
        return backup;
    }

    private string NewFolder()
    {
        string folder = Path.Combine(installation.Directory, "t-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>The default Data Source (data/kms.db) under <paramref name="folder"/> was not created, nor anything beside it.</summary>
    private static void AssertNoDatabase(string folder)
    {
        string data = Path.Combine(folder, "data");
        Assert.Empty(Directory.Exists(data) ? Directory.EnumerateFileSystemEntries(data) : []);
    }

    private static Dictionary<string, string> RootKey(string key) => new() { ["ROOT_ENCRYPTION_KEY"] = key };

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(SqliteInstallation.Timeout);
        while (!condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> variables, params string[] arguments)
    {
        await using ServerProcess command = ServerProcess.Run(workingDirectory, variables, arguments);
        int exitCode = await command.WaitForExitAsync(SqliteInstallation.Timeout);
        output.WriteLine($"$ {string.Join(' ', arguments)}  -> {exitCode}\n{command.StandardOutput}{command.StandardError}");
        Assert.DoesNotContain(NoStackTrace, command.StandardError, StringComparison.Ordinal);
        return (exitCode, command.StandardOutput, command.StandardError);
    }
}
