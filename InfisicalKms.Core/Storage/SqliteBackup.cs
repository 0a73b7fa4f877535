using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Storage;

/// <summary>A finished backup: the file, its size, and what it holds.</summary>
public sealed record SqliteBackupResult(string Path, long Bytes, long Keys, long AuditRecords);

/// <summary>A backup or restore that was refused or failed; the message says what was left unchanged.</summary>
public sealed class SqliteBackupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Backup and restore of an SQLite installation (the <c>backup</c> and <c>restore</c> commands): one file
/// holding the whole database, taken while the server runs, and put back only into a new installation.
/// </summary>
/// <remarks>
/// <para>
/// A backup is <c>VACUUM INTO</c> on a connection of its own: SQLite writes the database as one read
/// transaction sees it, so the copy is a consistent snapshot however many requests commit meanwhile. In WAL
/// mode (the server's databases are created in it) readers never block writers, so the server keeps
/// serving; the copy is in rollback-journal mode, a single self-contained file. It is written to a
/// temporary file, checked (<c>PRAGMA integrity_check</c>), flushed to disk and only then renamed to its name.
/// </para>
/// <para>
/// A restore never replaces a database: the configured file must not exist yet (or be empty). The backup is
/// copied to a temporary file beside it, checked there (SQLite's integrity check, migrations of this version
/// or older, a stored root key, then the caller's own checks, which open it with the root key) and renamed
/// into place only if everything passed. A refusal or failure removes the temporary file: the folder is as
/// it was found.
/// </para>
/// </remarks>
public static class SqliteBackup
{
    private const string Setting = StorageLocation.ConnectionStringKey;

    /// <summary>Copies the database at <paramref name="source"/> into the new file <paramref name="targetPath"/>.</summary>
    /// <exception cref="SqliteBackupException">Refused (PostgreSQL, no database, the file exists) or failed; no file was left at the target.</exception>
    public static async Task<SqliteBackupResult> BackupAsync(StorageLocation source, string targetPath, CancellationToken ct)
    {
        string sourcePath = SqlitePath(source, "backup",
            "For PostgreSQL use its own tools, e.g. pg_dump --format=custom --file=kms.dump kms (restore with pg_restore into an empty database).");
        if (!File.Exists(sourcePath) || new FileInfo(sourcePath).Length == 0)
        {
            throw new SqliteBackupException($"There is no database to back up: the SQLite file named by {Setting} does not exist yet ({sourcePath}).");
        }

        string target = Path.GetFullPath(targetPath);
        if (File.Exists(target) || Directory.Exists(target))
        {
            throw new SqliteBackupException($"{target} already exists: backup never overwrites a file. Choose a new name; nothing was changed.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        string temporary = TemporaryBeside(target);
        try
        {
            await using (SqliteConnection connection = await OpenAsync(sourcePath, SqliteOpenMode.ReadWrite, ct))
            await using (SqliteCommand vacuum = connection.CreateCommand())
            {
                vacuum.CommandText = "VACUUM INTO $path";
                vacuum.Parameters.AddWithValue("$path", temporary);
                vacuum.CommandTimeout = 0;   // as long as the database takes to read
                await vacuum.ExecuteNonQueryAsync(ct);
            }

            (long keys, long records) = await CheckAsync(temporary, "The copy", ct);
            FlushToDisk(temporary);
            File.Move(temporary, target, overwrite: false);
            return new SqliteBackupResult(target, new FileInfo(target).Length, keys, records);
        }
        catch (SqliteException e)
        {
            DeleteWithSidecars(temporary);
            throw new SqliteBackupException($"The backup failed and no file was written: {e.Message.TrimEnd('.')}.", e);
        }
        catch
        {
            DeleteWithSidecars(temporary);
            throw;
        }
    }

    /// <summary>
    /// Restores <paramref name="backupPath"/> as the database at <paramref name="target"/>, which must not exist
    /// yet. <paramref name="verify"/> gets the connection string of the checked copy, before it is put in place,
    /// and throws to refuse it.
    /// </summary>
    /// <returns>The restored database file.</returns>
    /// <exception cref="SqliteBackupException">Refused or failed: nothing was written at the target.</exception>
    public static async Task<string> RestoreAsync(string backupPath, StorageLocation target, Func<string, CancellationToken, Task> verify, CancellationToken ct)
    {
        string targetPath = SqlitePath(target, "restore",
            "For PostgreSQL restore a pg_dump with pg_restore into an empty database, e.g. pg_restore --dbname=kms kms.dump.");
        string backup = Path.GetFullPath(backupPath);
        if (!File.Exists(backup))
        {
            throw new SqliteBackupException($"There is no backup file at {backup}; nothing was changed.");
        }

        RequireNoDatabase(targetPath);
        string temporary = TemporaryBeside(targetPath);
        try
        {
            File.Copy(backup, temporary);
            await CheckAsync(temporary, "The backup", ct);
            await RequireInstallationAsync(temporary, ct);
            await verify(new SqliteConnectionStringBuilder { DataSource = temporary }.ToString(), ct);
            await FinishAsync(temporary, ct);
            RequireNoDatabase(targetPath);   // again: nothing may have appeared there meanwhile
            File.Move(temporary, targetPath, overwrite: File.Exists(targetPath));   // an empty file, as checked
            return targetPath;
        }
        catch (SqliteException e)
        {
            DeleteWithSidecars(temporary);
            throw new SqliteBackupException($"The backup cannot be restored: {e.Message.TrimEnd('.')}. Nothing was changed.", e);
        }
        catch
        {
            DeleteWithSidecars(temporary);
            throw;
        }
    }

    /// <summary>The SQLite file of <paramref name="location"/>; PostgreSQL and in-memory databases are refused.</summary>
    private static string SqlitePath(StorageLocation location, string command, string postgresHint)
    {
        if (location.IsPostgres)
        {
            throw new SqliteBackupException($"{command} works on SQLite installations only ({StorageLocation.ProviderKey} is Postgres). {postgresHint}");
        }

        var builder = new SqliteConnectionStringBuilder(location.ConnectionString);
        return builder.DataSource is { Length: > 0 } path && path != ":memory:" && builder.Mode != SqliteOpenMode.Memory
            ? path
            : throw new SqliteBackupException($"{command} needs an SQLite file, but {Setting} names an in-memory database.");
    }

    /// <summary>A restore goes only where there is no database yet: no file, or an empty one, and no journal.</summary>
    private static void RequireNoDatabase(string path)
    {
        foreach (string file in new[] { path, path + "-wal", path + "-journal" })
        {
            if (File.Exists(file) && new FileInfo(file).Length > 0)
            {
                throw new SqliteBackupException(
                    $"The SQLite database named by {Setting} already exists: {file}. restore only restores into a new installation " +
                    "(stop the server, and move that database away if it is to be replaced); nothing was changed.");
            }
        }
    }

    /// <summary>SQLite's full integrity check, then the tables every installation has: a file that is not one of ours fails here.</summary>
    private static async Task<(long Keys, long AuditRecords)> CheckAsync(string path, string what, CancellationToken ct)
    {
        await using SqliteConnection connection = await OpenAsync(path, SqliteOpenMode.ReadOnly, ct);
        await using SqliteCommand check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        check.CommandTimeout = 0;
        string result = Convert.ToString(await check.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) ?? "";
        if (result != "ok")
        {
            throw new SqliteBackupException($"{what} fails SQLite's integrity check ({result}); nothing was changed.");
        }

        try
        {
            return (await CountAsync(connection, "Keys", ct), await CountAsync(connection, "AuditEvents", ct));
        }
        catch (SqliteException e) when (e.Message.Contains("no such table", StringComparison.Ordinal))
        {
            throw new SqliteBackupException($"{what} is an SQLite database, but not one of InfisicalKms ({e.Message}); nothing was changed.", e);
        }
    }

    /// <summary>Migrated by this version or an older one (the server migrates it further on start), and with its root key.</summary>
    private static async Task RequireInstallationAsync(string path, CancellationToken ct)
    {
        var options = new DbContextOptionsBuilder<KmsDbContext>();
        options.UseKmsDatabase(StorageLocation.Sqlite($"Data Source={path};Pooling=False"));
        await using var db = new KmsDbContext(options.Options);
        string[] known = [.. db.Database.GetMigrations()];
        string[] unknown = [.. (await db.Database.GetAppliedMigrationsAsync(ct)).Except(known)];
        if (unknown.Length > 0)
        {
            throw new SqliteBackupException($"The backup was made by a newer version of the server ({unknown.Length} migration(s) this one does not know): restore it with that version. Nothing was changed.");
        }

        if (!await db.RootKeys.AnyAsync(ct))
        {
            throw new SqliteBackupException("The backup holds no root key (the server had never started on it), so none of its keys could be opened; nothing was changed.");
        }
    }

    /// <summary>Back to WAL mode, as the server creates its databases, with everything in the main file; then flushed to disk.</summary>
    private static async Task FinishAsync(string path, CancellationToken ct)
    {
        SqliteConnection.ClearAllPools();   // the checks' pooled connections
        await using (SqliteConnection connection = await OpenAsync(path, SqliteOpenMode.ReadWrite, ct))
        await using (SqliteCommand wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL";
            await wal.ExecuteNonQueryAsync(ct);
        }

        if (File.Exists(path + "-wal") && new FileInfo(path + "-wal").Length > 0)
        {
            throw new SqliteBackupException("The restored copy kept a write-ahead log after its last connection closed; nothing was changed.");
        }

        DeleteWithSidecars(path, keepMain: true);
        FlushToDisk(path);
    }

    private static async Task<SqliteConnection> OpenAsync(string path, SqliteOpenMode mode, CancellationToken ct)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        await connection.OpenAsync(ct);
        return connection;
    }

    private static async Task<long> CountAsync(SqliteConnection connection, string table, CancellationToken ct)
    {
        await using SqliteCommand count = connection.CreateCommand();
        count.CommandText = $"SELECT COUNT(*) FROM \"{table}\"";
        return (long)(await count.ExecuteScalarAsync(ct))!;
    }

    /// <summary>In the target's folder, so the final rename stays on one file system and is atomic.</summary>
    private static string TemporaryBeside(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");

    /// <summary>The file's contents reach the disk before its name does.</summary>
    private static void FlushToDisk(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        file.Flush(flushToDisk: true);
    }

    private static void DeleteWithSidecars(string path, bool keepMain = false)
    {
        SqliteConnection.ClearAllPools();
        foreach (string file in keepMain ? [path + "-wal", path + "-shm", path + "-journal"] : new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // Best effort: a leftover temporary file is named as one and never read.
            }
        }
    }
}
