using System.Data;
using System.Data.Common;
using System.Reflection;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.RootKeys;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace InfisicalKms.Core.Storage;

/// <summary>One table of a finished copy: rows read from the source, and rows counted in both databases afterwards.</summary>
public sealed record CopiedTable(string Table, long Copied, long InSource, long InTarget);

/// <summary>What a copy moved and what it checked, for the operator's summary.</summary>
/// <param name="Warnings">One for each audit chain that was already broken in the source, copied as it is.</param>
public sealed record DatabaseCopyResult(IReadOnlyList<CopiedTable> Tables, int ChainsVerified, long AuditRecordsVerified, IReadOnlyList<string> Warnings)
{
    public long Rows => Tables.Sum(t => t.Copied);
}

/// <summary>The copy failed after the target was migrated; nothing of the copy was committed.</summary>
public sealed class DatabaseCopyException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Moves an installation to the other provider (<c>db copy</c>): every table of the EF model, row by row as
/// stored, into an empty database that the target provider's own migrations have just created. Nothing is
/// decrypted or re-wrapped: the copy opens with the same root key as the source, and needs none itself.
/// </summary>
/// <remarks>
/// <para>
/// Rows go through EF Core's entities, so each provider stores its own form of every value (a GUID as text on
/// SQLite and as <c>uuid</c> on PostgreSQL, and so on) without a mapping written here. Audit records keep
/// their sequence, chain position and hashes: linking them again would fork every chain from its copied head.
/// </para>
/// <para>
/// The source is read in one snapshot (a read transaction), the target written in one transaction that commits
/// only after the checks: row counts per table, every audit chain walked, the trigger-kept key counts. A copy
/// that fails leaves no rows behind; a new SQLite file is removed again, PostgreSQL keeps the empty tables.
/// </para>
/// </remarks>
public static class DatabaseCopy
{
    /// <summary>Rows per <c>SaveChanges</c>: large enough to batch the inserts, small enough to keep few entities tracked.</summary>
    public const int BatchSize = 1000;

    private static readonly MethodInfo CopyTableMethod =
        typeof(DatabaseCopy).GetMethod(nameof(CopyTableAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>Copies <paramref name="source"/> into the empty <paramref name="target"/>, then checks the copy before committing it.</summary>
    /// <param name="targetSetting">Where the target's connection string came from, named in refusals.</param>
    /// <param name="progress">Told of each table once it is copied.</param>
    /// <exception cref="RootKeyConfigurationException">A refusal: nothing was changed.</exception>
    /// <exception cref="DatabaseCopyException">The copy failed or did not check out: nothing of it was committed.</exception>
    public static async Task<DatabaseCopyResult> CopyAsync(
        StorageLocation source, StorageLocation target, string targetSetting, Action<CopiedTable> progress, CancellationToken ct)
    {
        if (source.Provider == target.Provider)
        {
            throw new RootKeyConfigurationException(
                $"The installation is already on {Name(source.Provider)} ({StorageLocation.ProviderKey}); db copy moves it to the other provider.");
        }

        await using KmsDbContext from = Open(source);
        await RequireCurrentSourceAsync(from, source, ct);
        await using KmsDbContext to = Open(target);
        bool createdSqliteFile = await RequireEmptyTargetAsync(to, target, targetSetting, ct);

        try
        {
            await KmsCoreServiceCollectionExtensions.MigrateAsync(to, target, ct, targetSetting);
            return await CopyAndCheckAsync(from, to, progress, ct);
        }
        catch (Exception e) when (e is not RootKeyConfigurationException)
        {
            await to.DisposeAsync();
            string left = target.IsPostgres
                ? "the target has the empty tables of the schema now: drop and re-create the database before trying again."
                : RestoreSqliteFile(target, createdSqliteFile);
            string reason = e is OperationCanceledException ? "cancelled" : Innermost(e).Message;
            throw new DatabaseCopyException($"The copy failed and nothing of it was committed ({reason}); {left}", e);
        }
    }

    /// <summary>Names a database for people without its connection string, which may hold a password.</summary>
    public static string Describe(StorageLocation location)
    {
        if (location.IsPostgres)
        {
            var builder = new NpgsqlConnectionStringBuilder(location.ConnectionString);
            return $"the PostgreSQL database \"{builder.Database}\" on {builder.Host}:{builder.Port}";
        }

        return $"the SQLite database {new SqliteConnectionStringBuilder(location.ConnectionString).DataSource}";
    }

    private static KmsDbContext Open(StorageLocation location)
    {
        var options = new DbContextOptionsBuilder<KmsDbContext>();
        options.UseKmsDatabase(location);
        var db = new KmsDbContext(options.Options) { LinksAuditRecords = false };
        db.ChangeTracker.AutoDetectChangesEnabled = false;   // every entry's state is set by hand
        db.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
        return db;
    }

    /// <summary>The source must exist, be reachable, and be exactly at this version's migrations.</summary>
    private static async Task RequireCurrentSourceAsync(KmsDbContext from, StorageLocation source, CancellationToken ct)
    {
        const string Setting = StorageLocation.ConnectionStringKey;
        if (!source.IsPostgres && SqlitePath(source) is { } path && !File.Exists(path))
        {
            throw new RootKeyConfigurationException($"The SQLite database named by {Setting} does not exist: {path}");
        }

        string[] known = [.. from.Database.GetMigrations()];
        string[] applied = await ReadAsync(source, Setting, async () =>
        {
            await from.Database.OpenConnectionAsync(ct);
            return (await from.Database.GetAppliedMigrationsAsync(ct)).ToArray();
        });
        if (applied.Except(known).Any())
        {
            throw new RootKeyConfigurationException(
                $"The database named by {Setting} was migrated by a newer version of the server: copy it with that version.");
        }

        if (known.Length != applied.Length)
        {
            throw new RootKeyConfigurationException(
                $"The database named by {Setting} has {known.Length - applied.Length} migration(s) not applied: start the server on it once with this version, stop it, then copy.");
        }
    }

    /// <summary>
    /// Refuses a target that holds anything: a PostgreSQL database with a table or view in its schema, an SQLite
    /// file that is not empty. Returns whether the copy is about to create the SQLite file (to remove it on failure).
    /// </summary>
    private static async Task<bool> RequireEmptyTargetAsync(KmsDbContext to, StorageLocation target, string setting, CancellationToken ct)
    {
        if (!target.IsPostgres)
        {
            string path = SqlitePath(target)
                ?? throw new RootKeyConfigurationException($"{setting} must name an SQLite file, not an in-memory database.");
            if (File.Exists(path) && new FileInfo(path).Length > 0)
            {
                throw new RootKeyConfigurationException($"The SQLite file named by {setting} is not empty: {path}. db copy only copies into a new database; nothing was changed.");
            }

            return !File.Exists(path);
        }

        long tables = await ReadAsync(target, setting, () => to.Database.SqlQueryRaw<long>("""
            SELECT COUNT(*) AS "Value" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname IN ('public', current_schema()) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            """).SingleAsync(ct));
        if (tables > 0)
        {
            throw new RootKeyConfigurationException(
                $"The PostgreSQL database named by {setting} is not empty ({tables} table(s) in its schema). db copy only copies into an empty database; nothing was changed.");
        }

        return false;
    }

    /// <summary>A read before anything is written: a database that cannot be reached or read is a refusal naming its setting.</summary>
    private static async Task<T> ReadAsync<T>(StorageLocation location, string setting, Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or ArgumentException or TimeoutException)
        {
            throw new RootKeyConfigurationException(
                $"Cannot reach or read the {Name(location.Provider)} database named by {setting}: {KmsDatabase.DriverReason(e)}");
        }
    }

    private static async Task<DatabaseCopyResult> CopyAndCheckAsync(KmsDbContext from, KmsDbContext to, Action<CopiedTable> progress, CancellationToken ct)
    {
        // A snapshot: even a server left running cannot make the tables disagree with one another or with the counts.
        await from.Database.OpenConnectionAsync(ct);
        DbConnection sourceConnection = from.Database.GetDbConnection();
        await using DbTransaction snapshot = sourceConnection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(IsolationLevel.Serializable, deferred: true)   // a reader: takes no write lock
            : await sourceConnection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using IDbContextTransaction reading = await from.Database.UseTransactionAsync(snapshot, ct)
            ?? throw new InvalidOperationException("The source snapshot did not start.");

        await using IDbContextTransaction writing = await to.Database.BeginTransactionAsync(ct);
        await to.Database.LockAsync(LockScope.Instance, Guid.Empty, ct);   // a server started on the target meanwhile waits for the copy

        var tables = new List<CopiedTable>();
        foreach (IEntityType type in InForeignKeyOrder(to.Model))
        {
            var copying = (Task<CopiedTable>)CopyTableMethod.MakeGenericMethod(type.ClrType).Invoke(null, [from, to, type, ct])!;
            CopiedTable table = await copying;
            if (table.InSource != table.Copied || table.InTarget != table.Copied)
            {
                throw new InvalidOperationException(
                    $"{table.Table}: {table.InSource} row(s) in the source, {table.Copied} copied, {table.InTarget} in the target.");
            }

            tables.Add(table);
            progress(table);
        }

        if (to.Database.IsPostgres())
        {
            await ContinueIdentitiesAsync(to, ct);
        }

        await RequireKeyCountsAsync(to, ct);
        await RequireUsageCountsAsync(to, ct);
        (int chains, long records, List<string> warnings) = await VerifyChainsAsync(from, to, ct);
        await writing.CommitAsync(ct);
        return new DatabaseCopyResult(tables, chains, records, warnings);
    }

    /// <summary>One table, streamed from the source and saved in batches; called through <see cref="CopyTableMethod"/>.</summary>
    private static async Task<CopiedTable> CopyTableAsync<T>(KmsDbContext from, KmsDbContext to, IEntityType type, CancellationToken ct)
        where T : class
    {
        if (type.GetProperties().FirstOrDefault(p => p.IsShadowProperty()) is { } shadow)
        {
            // A shadow property's value is not on the entity, so it would silently be lost.
            throw new NotSupportedException($"db copy cannot copy {type.DisplayName()}.{shadow.Name}, a shadow property.");
        }

        // Set on the entity itself: EF compares timestamps without their kind, so it would ignore the change.
        PropertyInfo[] times = [.. type.GetProperties().Where(p => (Nullable.GetUnderlyingType(p.ClrType) ?? p.ClrType) is var t
            && (t == typeof(DateTime) || t == typeof(DateTimeOffset)))
            .Select(p => p.PropertyInfo is { CanWrite: true } property ? property
                : throw new NotSupportedException($"db copy cannot set {type.DisplayName()}.{p.Name}, a timestamp without a property setter."))];
        long copied = 0;
        await foreach (T row in from.Set<T>().AsAsyncEnumerable().WithCancellation(ct))
        {
            foreach (PropertyInfo time in times)
            {
                time.SetValue(row, AsUtc(time.GetValue(row)));
            }

            to.Entry(row).State = EntityState.Added;   // this row alone, key values as stored: no graph, no generated keys
            if (++copied % BatchSize == 0)
            {
                await to.SaveChangesAsync(ct);
                to.ChangeTracker.Clear();
            }
        }

        await to.SaveChangesAsync(ct);
        to.ChangeTracker.Clear();
        return new CopiedTable(type.GetTableName()!, copied, await from.Set<T>().LongCountAsync(ct), await to.Set<T>().LongCountAsync(ct));
    }

    /// <summary>
    /// Stored timestamps are UTC (<see cref="KmsDbContext"/>), but SQLite gives them back unmarked, and Npgsql
    /// writes only UTC to <c>timestamp with time zone</c>.
    /// </summary>
    private static object? AsUtc(object? value) => value switch
    {
        DateTime { Kind: not DateTimeKind.Utc } time => DateTime.SpecifyKind(time, DateTimeKind.Utc),
        DateTimeOffset { Offset.Ticks: not 0 } time => time.ToUniversalTime(),
        _ => value,
    };

    /// <summary>Every table, principals before their dependents (ties by name), so each foreign key finds its row.</summary>
    private static List<IEntityType> InForeignKeyOrder(IModel model)
    {
        List<IEntityType> left = [.. model.GetEntityTypes()
            .Where(t => t.BaseType is null && !t.IsOwned() && t.GetTableName() is not null)
            .OrderBy(t => t.GetTableName(), StringComparer.Ordinal)];
        var ordered = new List<IEntityType>();
        while (left.Count > 0)
        {
            IEntityType next = left.FirstOrDefault(t => t.GetForeignKeys().All(fk => fk.PrincipalEntityType.GetRootType() == t || ordered.Contains(fk.PrincipalEntityType.GetRootType())))
                ?? throw new NotSupportedException("db copy cannot order tables whose foreign keys form a cycle.");
            ordered.Add(next);
            left.Remove(next);
        }

        return ordered;
    }

    /// <summary>PostgreSQL identity columns: the next generated value follows the copied ones.</summary>
    private static async Task ContinueIdentitiesAsync(KmsDbContext to, CancellationToken ct)
    {
        ISqlGenerationHelper sql = to.GetService<ISqlGenerationHelper>();
        foreach (IEntityType type in to.Model.GetEntityTypes())
        {
            foreach (IProperty key in type.FindPrimaryKey()?.Properties.Where(p => p.ValueGenerated == ValueGenerated.OnAdd
                && (p.ClrType == typeof(int) || p.ClrType == typeof(long))) ?? [])
            {
                string table = sql.DelimitIdentifier(type.GetTableName()!);
                string column = key.GetColumnName();
                string setval = $"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), COALESCE(MAX({sql.DelimitIdentifier(column)}), 0) + 1, false) FROM {table}";
                await to.Database.ExecuteSqlRawAsync(setval, ct);
            }
        }
    }

    /// <summary>
    /// <c>ProjectKeyCounts</c> is not copied: the target's triggers counted each key as it was inserted. Checks
    /// that they did, since the key list reports its total from it.
    /// </summary>
    private static async Task RequireKeyCountsAsync(KmsDbContext to, CancellationToken ct)
    {
        long wrong = await to.Database.SqlQueryRaw<long>("""
            SELECT COUNT(*) AS "Value" FROM "Projects" p
            WHERE COALESCE((SELECT c."Count" FROM "ProjectKeyCounts" c WHERE c."ProjectId" = p."Id"), 0)
                <> (SELECT COUNT(*) FROM "Keys" k WHERE k."ProjectId" = p."Id")
            """).SingleAsync(ct);
        if (wrong > 0)
        {
            throw new InvalidOperationException($"The key counts of {wrong} project(s) (ProjectKeyCounts) do not match their keys.");
        }
    }

    /// <summary>
    /// The key usage counts (<c>KeyUsageHours</c>, <c>KeyUsageActorHours</c> and their daily twins) are not copied
    /// either: the target's triggers counted each audit record as it was inserted. Checks that each adds up to the
    /// usage records copied.
    /// </summary>
    private static async Task RequireUsageCountsAsync(KmsDbContext to, CancellationToken ct)
    {
        long records = await to.Database.SqlQueryRaw<long>(CountUsageRecordsSql).SingleAsync(ct);
        foreach ((string table, string sum) in UsageCountSums)
        {
            long counted = await to.Database.SqlQueryRaw<long>(sum).SingleAsync(ct);
            if (counted != records)
            {
                throw new InvalidOperationException($"The key usage counts in {table} ({counted}) do not match the {records} usage records copied.");
            }
        }
    }

    private const string CountUsageRecordsSql = $"""
        SELECT COUNT(*) AS "Value" FROM "AuditEvents"
        WHERE "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({Migrations.KeyUsageCounts.EventTypeList})
        """;

    private static readonly (string Table, string Sum)[] UsageCountSums =
    [
        ("KeyUsageHours", """SELECT CAST(COALESCE(SUM("Count"), 0) AS BIGINT) AS "Value" FROM "KeyUsageHours" """),
        ("KeyUsageActorHours", """SELECT CAST(COALESCE(SUM("Count"), 0) AS BIGINT) AS "Value" FROM "KeyUsageActorHours" """),
        ("KeyUsageDays", """SELECT CAST(COALESCE(SUM("Count"), 0) AS BIGINT) AS "Value" FROM "KeyUsageDays" """),
        ("KeyUsageActorDays", """SELECT CAST(COALESCE(SUM("Count"), 0) AS BIGINT) AS "Value" FROM "KeyUsageActorDays" """),
    ];

    /// <summary>
    /// Walks every chain on the target. A chain that fails there must fail the same way in the source: the copy
    /// keeps a broken chain broken (and says so) but never breaks one itself.
    /// </summary>
    private static async Task<(int Chains, long Records, List<string> Warnings)> VerifyChainsAsync(KmsDbContext from, KmsDbContext to, CancellationToken ct)
    {
        List<Guid> chains = [.. (await to.AuditChainHeads.Select(h => h.ChainId).ToListAsync(ct))
            .Union(await to.AuditEvents.Select(e => e.ChainId).Distinct().ToListAsync(ct)).Order()];
        long records = 0;
        var warnings = new List<string>();
        foreach (Guid chain in chains)
        {
            AuditChainReport copied = await AuditLogService.VerifyChainAsync(to, chain, ct);
            if (copied.Valid)
            {
                records += copied.Checked;
                continue;
            }

            AuditChainReport original = await AuditLogService.VerifyChainAsync(from, chain, ct);
            if (original.Valid || original.Checked != copied.Checked || original.FirstInvalidId != copied.FirstInvalidId)
            {
                throw new InvalidOperationException($"The audit chain {chain} does not verify in the copy: {copied.Problem}");
            }

            warnings.Add($"The audit chain {chain} was already broken in the source and is copied as it is: {copied.Problem}");
        }

        return (chains.Count - warnings.Count, records, warnings);
    }

    /// <summary>Removes the SQLite file this copy created, or empties again the one it found empty; says which.</summary>
    private static string RestoreSqliteFile(StorageLocation target, bool created)
    {
        string path = SqlitePath(target)!;
        SqliteConnection.ClearAllPools();   // pooled connections keep the file open
        foreach (string suffix in new[] { "-wal", "-shm", "-journal" })
        {
            File.Delete(path + suffix);
        }

        if (created)
        {
            File.Delete(path);
            return "the new SQLite file was removed again.";
        }

        File.WriteAllBytes(path, []);
        return "the SQLite file is empty again, as it was found.";
    }

    /// <summary>The file of an SQLite location (made absolute by <see cref="StorageLocation.Sqlite"/>); null in memory.</summary>
    private static string? SqlitePath(StorageLocation location)
    {
        var builder = new SqliteConnectionStringBuilder(location.ConnectionString);
        return builder.DataSource is { Length: > 0 } path && path != ":memory:" && builder.Mode != SqliteOpenMode.Memory ? path : null;
    }

    private static string Name(DatabaseProvider provider) => provider == DatabaseProvider.Postgres ? "PostgreSQL" : "SQLite";

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}
