using System.Diagnostics.Metrics;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Core.Usage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace InfisicalKms.Tests.Core.Usage;

/// <summary>
/// SQLite's audit writer leaves its batches' key usage pending (<c>KeyUsagePending</c>) and counts it a moment
/// later (<see cref="KeyUsageBatchCounts"/>): a reader still sees every committed record, nothing pending is lost
/// to a crash or double counted by a prune, and an actor's name is the one on its newest record.
/// A host of its own per test: each watches its writer's pending table from empty.
/// </summary>
[Trait("Category", "SqliteOnly")]
public sealed class KeyUsagePendingTests : IAsyncLifetime
{
    private readonly CoreTestHost _core = new();

    public Task InitializeAsync() => _core.InitializeAsync();

    public Task DisposeAsync() => _core.DisposeAsync();

    private KeyUsageService Usage => _core.Services.GetRequiredService<KeyUsageService>();

    private AuditWriter Writer => _core.Services.GetRequiredService<AuditWriter>();

    [Fact]
    public async Task WriterBatches_AreInTheReportAsSoonAsTheirCallersAreAnswered()
    {
        (KmsKey key, UsageQuery query) = await KeyAsync("read at once");

        for (int i = 0; i < 5; i++)
        {
            await Writer.WriteAsync([UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, DateTime.UtcNow, Alice)]);
            KeyUsageReport report = await Usage.ForKeyAsync(_core.AdminActor, key.Id, query, CancellationToken.None);
            Assert.Equal(new OutcomeCounts(i + 1, 0), report.Usage.Total);
        }

        Assert.Equal(0, await PendingRangesAsync());
    }

    [Fact]
    public async Task WriterBatches_AreCountedWithoutAReader()
    {
        (KmsKey key, _) = await KeyAsync("counted alone");

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Writer.WriteAsync([UsageRecords.Of(_core, key, AuditEventTypes.Decrypt, DateTime.UtcNow, Alice)])));

        // Not a timing assertion: the writer counts within a few seconds; the deadline only bounds a broken one.
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (await CountedAsync(key) < 20 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(20, await CountedAsync(key));
        Assert.Equal(0, await PendingRangesAsync());
    }

    [Fact]
    public async Task RangesLeftByACrash_AreCountedByTheNextWriter()
    {
        (KmsKey key, UsageQuery query) = await KeyAsync("crashed");
        await LeavePendingAsync(
            UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, DateTime.UtcNow.AddMinutes(-2), Alice),
            UsageRecords.Of(_core, key, AuditEventTypes.Sign, DateTime.UtcNow.AddMinutes(-1), Alice, error: "BadRequest"));
        Assert.Equal(0, await CountedAsync(key));

        await using (AuditWriter restarted = NewWriter())
        {
            await restarted.CountUsageAsync();
        }

        Assert.Equal(0, await PendingRangesAsync());
        KeyUsageReport report = await Usage.ForKeyAsync(_core.AdminActor, key.Id, query, CancellationToken.None);
        Assert.Equal(["encrypt 1/0", "sign 0/1"], report.Usage.Operations.Select(o => $"{o.Key} {o.Value.Success}/{o.Value.Failure}"));
    }

    [Fact]
    public async Task RecordsPrunedWhilePending_AreNeitherUncountedNorCounted()
    {
        // Arrange: in one hour, a pending record and a counted one before the retention cut, and a counted one after it.
        (KmsKey key, UsageQuery query) = await KeyAsync("pruned pending");
        DateTime now = DateTime.UtcNow;
        DateTime cut = new DateTime(now.Year, now.Month, now.Day, now.Hour, 30, 0, DateTimeKind.Utc).AddDays(-10);
        await LeavePendingAsync(UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, cut.AddMinutes(-2), Alice));
        await UsageRecords.SaveAsync(_core,
            UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, cut.AddMinutes(-1), Alice),
            UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, cut.AddMinutes(1), Alice));

        // Act
        await _core.Services.GetRequiredService<AuditRetention>().PruneAsync(cut, CancellationToken.None);
        await using (AuditWriter restarted = NewWriter())
        {
            await restarted.CountUsageAsync();
        }

        // Assert: the record retention kept, and it alone, in the hour's and the day's counts.
        foreach (UsageBucket bucket in new[] { UsageBucket.Hour, UsageBucket.Day })
        {
            KeyUsageReport report = await Usage.ForKeyAsync(_core.AdminActor, key.Id, query with { Bucket = bucket }, CancellationToken.None);
            Assert.Equal(["encrypt 1/0"], report.Usage.Operations.Select(o => $"{o.Key} {o.Value.Success}/{o.Value.Failure}"));
            Assert.Equal([("alice", 1L)], report.Usage.TopActors.Select(a => (a.Name, a.Count)));
        }

        Assert.Equal(0, await PendingRangesAsync());
    }

    [Fact]
    public async Task ActorRenamedWithinOneCount_IsListedUnderTheNameOnItsNewestRecord()
    {
        (KmsKey key, UsageQuery query) = await KeyAsync("renamed");
        DateTime now = DateTime.UtcNow;

        // One batch, so one count; the newer record first, so the order of insertion decides nothing.
        await Writer.WriteAsync(
        [
            UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, now, (Alice.Id, "alice-renamed")),
            UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, now.AddSeconds(-1), Alice),
            UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, now.AddSeconds(-2), (Alice.Id, "alice-before")),
        ]);

        KeyUsageReport report = await Usage.ForKeyAsync(_core.AdminActor, key.Id, query, CancellationToken.None);
        Assert.Equal([("alice-renamed", 3L)], report.Usage.TopActors.Select(a => (a.Name, a.Count)));
    }

    [Fact]
    public async Task WriterTallyAndTriggers_CountOneActorAndHourInOneRow()
    {
        // Arrange: the same actor, key and hour, counted by the trigger (SaveChanges), the writer's tally, and from
        // the records of a range the writer did not tally (left by a crash).
        (KmsKey key, UsageQuery query) = await KeyAsync("one row");
        DateTime hour = DateTime.UtcNow.Date.AddHours(DateTime.UtcNow.Hour);
        await UsageRecords.SaveAsync(_core, UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, hour.AddMinutes(1), Alice));
        await LeavePendingAsync(UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, hour.AddMinutes(2), Alice, error: "BadRequest"));
        await using AuditWriter writer = NewWriter();
        await writer.WriteAsync([UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, hour.AddMinutes(3), Alice, error: "BadRequest")]);

        // Act
        await writer.CountUsageAsync();

        // Assert: one row per table for the actor, and one per outcome and error class.
        Assert.Equal(0, await PendingRangesAsync());
        string keyId = key.Id.ToString().ToUpperInvariant();
        Assert.Equal(1, await ScalarAsync($"""SELECT COUNT(*) AS "Value" FROM "KeyUsageActorHours" WHERE "KeyId" = '{keyId}'"""));
        Assert.Equal(1, await ScalarAsync($"""SELECT COUNT(*) AS "Value" FROM "KeyUsageActorDays" WHERE "KeyId" = '{keyId}'"""));
        Assert.Equal(2, await ScalarAsync($"""SELECT COUNT(*) AS "Value" FROM "KeyUsageHours" WHERE "KeyId" = '{keyId}'"""));
        KeyUsageReport report = await Usage.ForKeyAsync(_core.AdminActor, key.Id, query with { Bucket = UsageBucket.Hour, From = hour, To = hour.AddHours(1) }, CancellationToken.None);
        Assert.Equal([new UsageActor("identity", Alice.Id, "alice", 3, 2, hour.AddMinutes(3))], report.Usage.TopActors);
        Assert.Equal(new Dictionary<string, long> { ["BadRequest"] = 2 }, report.Usage.Failures);
    }

    [Fact]
    public async Task RoundOfSeveralSlices_CountsEveryKeyOnce_WithBatchesCommittedBetweenItsSlices()
    {
        // Arrange: seven keys, and a writer that counts two keys per transaction, so that a round is four slices.
        Project project = await _core.CreateProjectAsync("sliced");
        KmsKey[] keys = await KeysAsync(project, 7);
        await using AuditWriter writer = NewWriter(usageSliceKeys: 2);
        var written = keys.ToDictionary(k => k.Id, _ => 0L);

        // Act: one batch after another, each of a few keys, until a batch has been committed in the middle of a
        // round: some ranges counted through a key, and a newer one not in the round. The deadline bounds a broken writer.
        bool sawBatchMidRound = false;
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        for (int i = 0; !sawBatchMidRound && DateTime.UtcNow < deadline; i++)
        {
            KmsKey[] used = [keys[i % 7], keys[(i * 3 + 1) % 7]];
            await writer.WriteAsync([.. used.Select(k => UsageRecords.Of(_core, k, AuditEventTypes.Encrypt, DateTime.UtcNow, Alice))]);
            Array.ForEach(used, k => written[k.Id]++);
            sawBatchMidRound = await ScalarAsync("""
                SELECT EXISTS (SELECT 1 FROM "KeyUsagePending" WHERE "CountedThrough" IS NOT NULL)
                    AND EXISTS (SELECT 1 FROM "KeyUsagePending" WHERE "CountedThrough" IS NULL) AS "Value"
                """) == 1;
        }

        await writer.CountUsageAsync();

        // Assert: every record counted once, in the hours and in the days, and nothing left pending.
        Assert.True(sawBatchMidRound, "no batch was committed between two slices of a round");
        foreach (KmsKey key in keys)
        {
            Assert.Equal(written[key.Id], await CountedAsync(key));
            Assert.Equal(written[key.Id], await CountedAsync(key, "KeyUsageActorDays"));
        }

        Assert.Equal(0, await PendingRangesAsync());
    }

    [Fact]
    public async Task RoundLeftBetweenSlicesByACrash_IsFinishedWithoutCountingAKeyTwice()
    {
        // Arrange: five keys in key order, two records each. The first key's and the fourth key's older records are
        // ten days old and first in the chain, for retention to prune in the middle of the round.
        Project project = await _core.CreateProjectAsync("crashed mid-round");
        KmsKey[] keys = [.. (await KeysAsync(project, 5)).OrderBy(k => KeyUsageTally.StoredKey(k.Id), StringComparer.Ordinal)];
        DateTime now = DateTime.UtcNow;
        AuditEvent[] records =
        [
            UsageRecords.Of(_core, keys[0], AuditEventTypes.Encrypt, now.AddDays(-10), Alice),
            UsageRecords.Of(_core, keys[3], AuditEventTypes.Encrypt, now.AddDays(-10), Alice),
            .. keys.Select(k => UsageRecords.Of(_core, k, AuditEventTypes.Encrypt, now, Alice)),
            .. new[] { 1, 2, 4 }.Select(i => UsageRecords.Of(_core, keys[i], AuditEventTypes.Encrypt, now, Alice)),
        ];

        // A writer's connection commits the batch, then the first slice of its count (two keys), and is gone.
        await using (KmsDbContext db = await Db())
        {
            await db.Database.OpenConnectionAsync();
            using var insert = new AuditBatchInsert(db, sliceKeys: 2);
            System.Data.Common.DbConnection connection = db.Database.GetDbConnection();
            using (System.Data.Common.DbTransaction batch = connection.BeginTransaction())
            {
                Assert.True(insert.Write(records, batch));
                batch.Commit();
            }

            insert.Finished(committed: true);
            insert.TallyCommitted();
            UsageSlice slice;
            using (System.Data.Common.DbTransaction count = connection.BeginTransaction())
            {
                slice = insert.CountPending(count);
                count.Commit();
            }

            Assert.Equal(new UsageSlice(RoundDone: false, StartedRound: true, PendingLeft: false), slice);
        }

        Assert.Equal(new long[] { 2, 2, 0, 0, 0 }, await CountsAsync(keys));

        // Act: retention prunes a record of a key already counted and one of a key not yet counted; then the next
        // writer finishes the round from the records.
        await _core.Services.GetRequiredService<AuditRetention>().PruneAsync(now.AddDays(-5), CancellationToken.None);
        await using (AuditWriter restarted = NewWriter())
        {
            await restarted.CountUsageAsync();
        }

        // Assert: each key counted once for every record still there, and nothing left pending.
        Assert.Equal(new long[] { 1, 2, 2, 1, 2 }, await CountsAsync(keys));
        Assert.Equal(new long[] { 1, 2, 2, 1, 2 }, await CountsAsync(keys, "KeyUsageActorDays"));
        Assert.Equal(0, await PendingRangesAsync());
    }

    [Fact]
    public async Task ProgressMigration_GoesDownAndUpAgain_AndTheWriterCountsAfterIt()
    {
        // Arrange
        (KmsKey key, _) = await KeyAsync("migrated");
        const string Column = """SELECT COUNT(*) AS "Value" FROM pragma_table_info('KeyUsagePending') WHERE "name" = 'CountedThrough'""";

        // Act: down to the migration before it, and up again.
        await MigrateAsync("20261208090000_KeyUsagePending");
        long columnsDown = await ScalarAsync(Column);
        await MigrateAsync(null);

        // Assert
        Assert.Equal(0, columnsDown);
        Assert.Equal(1, await ScalarAsync(Column));
        await using AuditWriter writer = NewWriter();
        await writer.WriteAsync([UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, DateTime.UtcNow, Alice)]);
        await writer.CountUsageAsync();
        Assert.Equal(1, await CountedAsync(key));
        Assert.Equal(0, await PendingRangesAsync());
    }

    private async Task MigrateAsync(string? target)
    {
        await using KmsDbContext db = await Db();
        await db.GetService<IMigrator>().MigrateAsync(target);
    }

    private async Task<KmsKey[]> KeysAsync(Project project, int count)
    {
        var keys = new KmsKey[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = await _core.CreateKeyAsync(project, $"key-{i}", KeyAlgorithm.Aes256Gcm);
        }

        return keys;
    }

    private static readonly (Guid Id, string Name) Alice = (Guid.NewGuid(), "alice");

    private async Task<(KmsKey Key, UsageQuery Query)> KeyAsync(string name)
    {
        Project project = await _core.CreateProjectAsync(name);
        KmsKey key = await _core.CreateKeyAsync(project, name.Replace(' ', '-'), KeyAlgorithm.Aes256Gcm);
        DateTime today = DateTime.UtcNow.Date;
        return (key, new UsageQuery(today.AddDays(-20), today.AddDays(1), UsageBucket.Day));
    }

    /// <summary>What a writer that stopped between its batch and its count leaves: the records written uncounted, their range pending.</summary>
    private async Task LeavePendingAsync(params AuditEvent[] records)
    {
        await using KmsDbContext db = await Db();
        await using var transaction = await db.Database.BeginTransactionAsync();
        long after = await db.Database.SqlQueryRaw<long>("""SELECT COALESCE(MAX("Sequence"), 0) AS "Value" FROM "AuditEvents" """).SingleAsync();
        await db.Database.ExecuteSqlRawAsync("""INSERT INTO "KeyUsageCountingDeferred" ("Id") VALUES (1)""");
        db.AuditEvents.AddRange(records);
        await db.SaveChangesAsync();
        await db.Database.ExecuteSqlRawAsync("""DELETE FROM "KeyUsageCountingDeferred" """);
        await db.Database.ExecuteSqlAsync($"""INSERT INTO "KeyUsagePending" ("After", "Last") SELECT {after}, MAX("Sequence") FROM "AuditEvents" """);
        await transaction.CommitAsync();
    }

    private AuditWriter NewWriter(int usageSliceKeys = AuditBatchInsert.DefaultSliceKeys) => new(
        _core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>(), TimeSpan.Zero,
        _core.Services.GetRequiredService<IMeterFactory>(), NullLogger<AuditWriter>.Instance, usageSliceKeys);

    private Task<long> CountedAsync(KmsKey key, string table = "KeyUsageHours") => ScalarAsync(
        $"""SELECT COALESCE(SUM("Count"), 0) AS "Value" FROM "{table}" WHERE "KeyId" = '{key.Id.ToString().ToUpperInvariant()}'""");

    private async Task<long[]> CountsAsync(IEnumerable<KmsKey> keys, string table = "KeyUsageHours")
    {
        var counts = new List<long>();
        foreach (KmsKey key in keys)
        {
            counts.Add(await CountedAsync(key, table));
        }

        return [.. counts];
    }

    private Task<long> PendingRangesAsync() => ScalarAsync("""SELECT COUNT(*) AS "Value" FROM "KeyUsagePending" """);

    private async Task<long> ScalarAsync(string sql)
    {
        await using KmsDbContext db = await Db();
        return await db.Database.SqlQueryRaw<long>(sql).SingleAsync();
    }

    private Task<KmsDbContext> Db() => _core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
}
