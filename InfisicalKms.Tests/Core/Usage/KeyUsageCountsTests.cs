using System.Text.RegularExpressions;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Core.Usage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using PostgresMigration = InfisicalKms.Core.Storage.Migrations.Postgres.KeyUsageCounts;
using SqliteMigration = InfisicalKms.Core.Storage.Migrations.KeyUsageCounts;

namespace InfisicalKms.Tests.Core.Usage;

/// <summary>
/// The hourly counts the database keeps from the audit log (<c>KeyUsageCounts</c> migrations), read through
/// <see cref="KeyUsageService"/>: records of past hours, written with the times chosen here, land in their UTC
/// hour and day; the triggers count exactly the event types of <see cref="KeyUsageOperations"/>; and the
/// migration's backfill of older records gives the same rows as the triggers.
/// </summary>
public sealed partial class KeyUsageCountsTests(CoreTestHost core) : IClassFixture<CoreTestHost>
{
    private KeyUsageService Usage => core.Services.GetRequiredService<KeyUsageService>();

    [Fact]
    public async Task Counts_RecordsOfPastHours_LandInTheirUtcHourAndDay()
    {
        Project project = await core.CreateProjectAsync("Past hours " + Guid.NewGuid().ToString("N")[..8]);
        KmsKey key = await core.CreateKeyAsync(project, "past", KeyAlgorithm.Aes256Gcm);
        var alice = (Id: Guid.NewGuid(), Name: "alice");
        var bob = (Id: Guid.NewGuid(), Name: "bob");
        await UsageRecords.SaveAsync(core,
            UsageRecords.Of(core, key, AuditEventTypes.Encrypt, Utc("2024-02-28T21:59:59.999"), alice),
            UsageRecords.Of(core, key, AuditEventTypes.Encrypt, Utc("2024-02-28T22:59:59.999"), alice),
            UsageRecords.Of(core, key, AuditEventTypes.Encrypt, Utc("2024-02-28T23:00:00"), bob),
            UsageRecords.Of(core, key, AuditEventTypes.Decrypt, Utc("2024-02-28T23:59:59.999"), bob, error: "BadRequest"),
            UsageRecords.Of(core, key, AuditEventTypes.Encrypt, Utc("2024-02-29T00:00:00"), alice),
            UsageRecords.Of(core, key, AuditEventTypes.GetKey, Utc("2024-02-29T00:30:00"), alice),
            UsageRecords.Of(core, key, AuditEventTypes.Encrypt, Utc("2024-02-29T01:00:00"), alice, error: "PermissionDenied"));

        KeyUsageReport hours = await Usage.ForKeyAsync(core.AdminActor, key.Id,
            new UsageQuery(Utc("2024-02-28T22:00:00"), Utc("2024-02-29T02:00:00")), CancellationToken.None);
        KeyUsageReport days = await Usage.ForKeyAsync(core.AdminActor, key.Id,
            new UsageQuery(Utc("2024-02-28T00:00:00"), Utc("2024-03-01T00:00:00"), UsageBucket.Day), CancellationToken.None);

        Assert.Equal(
            [
                "2024-02-28 22:00 encrypt 1/0",
                "2024-02-28 23:00 encrypt 1/0, decrypt 0/1",
                "2024-02-29 00:00 encrypt 1/0",
                "2024-02-29 01:00 encrypt 0/1",
            ],
            hours.Usage.Buckets.Select(Describe));
        Assert.Equal(["2024-02-28 00:00 encrypt 3/0, decrypt 0/1", "2024-02-29 00:00 encrypt 1/1"], days.Usage.Buckets.Select(Describe));
        Assert.Equal(new Dictionary<string, long> { ["BadRequest"] = 1, ["PermissionDenied"] = 1 }, hours.Usage.Failures);
        Assert.Equal(
            [new UsageActor("identity", alice.Id, "alice", 3, 1, Utc("2024-02-29T01:00:00")), new UsageActor("identity", bob.Id, "bob", 2, 1, Utc("2024-02-28T23:59:59.999"))],
            hours.Usage.TopActors);
        Assert.Equal(Utc("2024-02-29T00:00:00"), hours.LastUsedAt);
    }

    [Fact]
    public async Task Triggers_CountExactlyTheUsageEventTypes()
    {
        await using KmsDbContext db = await core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        List<string> definitions = db.Database.IsPostgres()
            ? await db.Database.SqlQuery<string>($"""
                SELECT pg_get_triggerdef(t.oid) AS "Value" FROM pg_trigger t WHERE t.tgname IN ('KeyUsage_Insert', 'KeyUsage_Delete') ORDER BY t.tgname
                """).ToListAsync()
            : await db.Database.SqlQuery<string>($"""
                SELECT "sql" AS "Value" FROM sqlite_master WHERE "type" = 'trigger' AND "name" IN ('KeyUsage_Insert', 'KeyUsage_Delete') ORDER BY "name"
                """).ToListAsync();

        Assert.Equal(2, definitions.Count);
        Assert.All(definitions, sql => Assert.Equal(KeyUsageOperations.EventTypes, Quoted(Condition(sql))));
        Assert.Equal(KeyUsageOperations.EventTypes, Quoted(SqliteMigration.EventTypeList));
        Assert.Equal(KeyUsageOperations.EventTypes.Count, KeyUsageOperations.Names.Distinct().Count());
    }

    [Fact]
    public Task Backfill_OfTheMigration_GivesTheSameCountsAsTheTriggers() =>
        BackfillMatchesAsync("Backfill", (core, records) => UsageRecords.SaveAsync(core, records));

    /// <summary>
    /// The audit writer counts its batches itself (KeyUsageBatchCounts) with the trigger off for their transactions:
    /// batches written side by side give the very rows the migration's backfill computes from the records.
    /// </summary>
    [Fact]
    public Task WriterBatches_GiveTheSameCountsAsTheBackfill() =>
        BackfillMatchesAsync("Writer", async (core, records) =>
        {
            AuditWriter writer = core.Services.GetRequiredService<AuditWriter>();
            await Task.WhenAll(writer.WriteAsync(records[..2]), writer.WriteAsync(records[2..]));
            await writer.CountUsageAsync();   // SQLite counts the batches a moment later
        });

    private async Task BackfillMatchesAsync(string name, Func<CoreTestHost, AuditEvent[], Task> write)
    {
        Project project = await core.CreateProjectAsync(name + " " + Guid.NewGuid().ToString("N")[..8]);
        KmsKey key = await core.CreateKeyAsync(project, "backfill", KeyAlgorithm.Aes256Gcm);
        AuditEvent byName = UsageRecords.Of(core, key, AuditEventTypes.Encrypt, Utc("2024-05-06T07:08:09.123"), (Guid.Empty, "kmip-app"));
        (byName.ActorType, byName.ActorId) = ("kmip-client", null);
        await write(core,
        [
            byName,
            UsageRecords.Of(core, key, AuditEventTypes.Encrypt, Utc("2024-05-06T07:30:00"), (Guid.NewGuid(), "carol")),
            UsageRecords.Of(core, key, AuditEventTypes.Sign, Utc("2024-05-06T07:59:59.999"), (Guid.NewGuid(), "dave"), error: "BadRequest"),
            UsageRecords.Of(core, key, AuditEventTypes.Rewrap, Utc("2024-05-06T08:00:00"), (Guid.NewGuid(), "erin")),
            UsageRecords.Of(core, key, AuditEventTypes.Decrypt, Utc("2024-05-07T00:00:00"), (Guid.NewGuid(), "frank"), error: "PermissionDenied"),
        ]);
        await using KmsDbContext db = await core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        (List<string> hours, List<string> actors) counted = await CountRowsAsync(db);
        (List<string> days, List<string> actorDays) countedDays = await CountRowsAsync(db, days: true);
        Assert.Contains(counted.actors, a => a.Contains("kmip-client name:kmip-app", StringComparison.Ordinal));
        Assert.Equal(countedDays.days.Sum(Count), counted.hours.Sum(Count));
        Assert.Contains(counted.hours, h => h.Contains($"{key.Id} 2024-05-06T08:00:00.000 cmek-rewrap success", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(countedDays.days, d => d.Contains($"{key.Id} 2024-05-07T00:00:00.000 cmek-decrypt failure PermissionDenied", StringComparison.OrdinalIgnoreCase));

        await using var transaction = await db.Database.BeginTransactionAsync();
        await db.Database.ExecuteSqlRawAsync("""
            DELETE FROM "KeyUsageHours"; DELETE FROM "KeyUsageActorHours"; DELETE FROM "KeyUsageDays"; DELETE FROM "KeyUsageActorDays";
            """);
        Migration migration = db.Database.IsPostgres() ? new PostgresMigration() : new SqliteMigration();
        migration.ActiveProvider = db.Database.ProviderName!;
        List<string> backfill = [.. migration.UpOperations.OfType<SqlOperation>().Select(o => o.Sql.Trim())
            .Where(sql => sql.StartsWith("INSERT INTO", StringComparison.Ordinal))];
        Assert.Equal(4, backfill.Sum(sql => sql.Split("INSERT INTO").Length - 1));   // hours, actor hours, days, actor days
        foreach (string sql in backfill)
        {
            await db.Database.ExecuteSqlRawAsync(sql);
        }

        (List<string> hours, List<string> actors) backfilled = await CountRowsAsync(db);
        (List<string> days, List<string> actorDays) backfilledDays = await CountRowsAsync(db, days: true);
        await transaction.RollbackAsync();

        Assert.Equal(counted.hours, backfilled.hours);
        Assert.Equal(counted.actors, backfilled.actors);
        Assert.Equal(countedDays.days, backfilledDays.days);
        Assert.Equal(countedDays.actorDays, backfilledDays.actorDays);
    }

    /// <summary>The count in a usage row as <see cref="CountRowsAsync"/> writes it (the field before the last).</summary>
    private static long Count(string row) => long.Parse(row.Split(' ')[^2], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Every count row of the hourly tables (or the daily ones), as text, in a fixed order.</summary>
    private static async Task<(List<string> Hours, List<string> Actors)> CountRowsAsync(KmsDbContext db, bool days = false)
    {
        List<HourCountRow> hours = await db.Database.SqlQueryRaw<HourCountRow>(days
            ? """SELECT "KeyId", "DayStart" AS "HourStart", "EventType", "Outcome", "Error", "ProjectId", "Count", "LastAt" FROM "KeyUsageDays" """
            : """SELECT "KeyId", "HourStart", "EventType", "Outcome", "Error", "ProjectId", "Count", "LastAt" FROM "KeyUsageHours" """).ToListAsync();
        List<ActorCountRow> actors = await db.Database.SqlQueryRaw<ActorCountRow>(days
            ? """SELECT "KeyId", "DayStart" AS "HourStart", "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName", "Count", "FailureCount", "LastAt" FROM "KeyUsageActorDays" """
            : """SELECT "KeyId", "HourStart", "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName", "Count", "FailureCount", "LastAt" FROM "KeyUsageActorHours" """).ToListAsync();
        return (
            [.. hours.Select(h => $"{h.KeyId} {Stamp(h.HourStart)} {h.EventType} {h.Outcome} {h.Error} {h.ProjectId} {h.Count} {Stamp(h.LastAt)}").Order(StringComparer.Ordinal)],
            [.. actors.Select(a => $"{a.KeyId} {Stamp(a.HourStart)} {a.ActorType} {a.ActorKey.ToLowerInvariant()} {a.ProjectId} {a.ActorId} {a.ActorName} {a.Count} {a.FailureCount} {Stamp(a.LastAt)}")
                .Order(StringComparer.Ordinal)]);
    }

    private static string Stamp(DateTime time) => time.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture)[..23];

    /// <summary>The trigger's condition: SQLite's WHEN ... BEGIN, PostgreSQL's WHEN (...) EXECUTE.</summary>
    /// <summary>The trigger's condition (SQLite's WHEN ... BEGIN, PostgreSQL's WHEN (...) EXECUTE) without its deferral check.</summary>
    private static string Condition(string trigger)
    {
        int when = trigger.IndexOf("WHEN", StringComparison.Ordinal);
        int end = trigger.IndexOf("BEGIN", when, StringComparison.Ordinal) is var begin and >= 0 ? begin : trigger.IndexOf("EXECUTE", when, StringComparison.Ordinal);
        return DeferralPattern().Replace(trigger[when..end], "");
    }

    [GeneratedRegex("""NOT EXISTS \(SELECT 1 FROM "KeyUsageCountingDeferred"\)|current_setting\(.*?'on'""")]
    private static partial Regex DeferralPattern();

    private static List<string> Quoted(string sql) => [.. QuotedPattern().Matches(sql).Select(m => m.Groups[1].Value)];

    private static string Describe(UsageBucketCounts bucket) =>
        bucket.Start.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)
        + (bucket.Operations.Count == 0 ? "" : " " + string.Join(", ", bucket.Operations.Select(o => $"{o.Key} {o.Value.Success}/{o.Value.Failure}")));

    private static DateTime Utc(string text) => UsageRecords.Utc(text);

    [GeneratedRegex("'([a-z][a-z-]*)'")]
    private static partial Regex QuotedPattern();

    private sealed class HourCountRow
    {
        public Guid KeyId { get; set; }

        public DateTime HourStart { get; set; }

        public string EventType { get; set; } = "";

        public string Outcome { get; set; } = "";

        public string Error { get; set; } = "";

        public Guid ProjectId { get; set; }

        public long Count { get; set; }

        public DateTime LastAt { get; set; }
    }

    private sealed class ActorCountRow
    {
        public Guid KeyId { get; set; }

        public DateTime HourStart { get; set; }

        public string ActorType { get; set; } = "";

        public string ActorKey { get; set; } = "";

        public Guid ProjectId { get; set; }

        public Guid? ActorId { get; set; }

        public string ActorName { get; set; } = "";

        public long Count { get; set; }

        public long FailureCount { get; set; }

        public DateTime LastAt { get; set; }
    }
}

/// <summary>Audit records of a key's use at chosen times, saved as the product saves them (linked onto the project's chain).</summary>
internal static class UsageRecords
{
    public static AuditEvent Of(CoreTestHost core, KmsKey key, string eventType, DateTime at, (Guid Id, string Name) actor, string? error = null) => new()
    {
        Id = Guid.CreateVersion7(),
        OrganizationId = core.Organization.Id,
        ChainId = key.ProjectId,
        EventType = eventType,
        ActorType = "identity",
        ActorId = actor.Id,
        ActorName = actor.Name,
        ProjectId = key.ProjectId,
        KeyId = key.Id,
        Outcome = error is null ? "success" : "failure",
        Metadata = error is null
            ? new Dictionary<string, string>()
            : new Dictionary<string, string> { ["error"] = error, ["statusCode"] = error == "PermissionDenied" ? "403" : "400" },
        CreatedAt = at,
    };

    public static async Task SaveAsync(CoreTestHost core, params AuditEvent[] records)
    {
        await using KmsDbContext db = await core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        db.AuditEvents.AddRange(records);
        await db.SaveChangesAsync();
    }

    public static DateTime Utc(string text) =>
        DateTime.SpecifyKind(DateTime.Parse(text, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);
}
