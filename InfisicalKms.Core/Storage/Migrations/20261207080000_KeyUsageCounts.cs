using System.Globalization;
using InfisicalKms.Core.Usage;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace InfisicalKms.Core.Storage.Migrations;

/// <summary>
/// Hourly and daily counts of each key's operations, kept in the same transaction as every record written or
/// pruned (by the audit writer for its batches, <see cref="KeyUsageBatchCounts"/>, and by triggers on
/// <c>AuditEvents</c> for every other write), so a usage chart sums a few thousand rows instead of scanning
/// the audit log (<see cref="KeyUsageService"/>). Not part of the EF model, like <see cref="ProjectKeyCounts"/>:
/// <see cref="DatabaseCopy"/> leaves them out and the target's triggers count the copied records again.
/// </summary>
/// <remarks>
/// <para>
/// <c>KeyUsageHours</c> counts records per key, hour (UTC), event type, outcome and error class;
/// <c>KeyUsageActorHours</c> per key, hour and actor; <c>KeyUsageDays</c> and <c>KeyUsageActorDays</c> the same per
/// day, for charts by day: 30 days of a project's busy keys are some 70,000 hourly rows but 3,000 daily ones.
/// Only the usage events of
/// <see cref="KeyUsageOperations"/> are counted. A pruned record is uncounted by the delete trigger, so
/// the totals always equal what the audit log lists for the same hours.
/// </para>
/// <para>
/// SQLite stores a time as EF's text (<c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c>): its first 13 characters are the
/// hour and its first 10 the day, and their start in the same form compares and reads back like any other stored time.
/// </para>
/// </remarks>
[DbContext(typeof(KmsDbContext))]
[Migration("20261207080000_KeyUsageCounts")]
public sealed class KeyUsageCounts : Migration
{
    /// <summary>The usage event types as written on the day (<c>KeyUsageTriggerTests</c> checks them against <see cref="KeyUsageOperations"/>).</summary>
    internal const string EventTypeList =
        "'cmek-encrypt', 'cmek-decrypt', 'cmek-sign', 'cmek-verify', 'cmek-generate-mac', 'cmek-verify-mac', " +
        "'cmek-generate-data-key', 'cmek-rewrap', 'cmek-get-private-key'";

    private const string Error = """CASE WHEN {0}."Outcome" = 'failure' THEN COALESCE(json_extract({0}."Metadata", '$.error'), '') ELSE '' END""";

    private const string ActorKey = """COALESCE({0}."ActorId", 'name:' || {0}."ActorName")""";

    /// <summary>The hour tables, and their daily twins that long windows with day buckets read instead.</summary>
    private static readonly CountTables[] Tables =
    [
        new("KeyUsageHours", "KeyUsageActorHours", "HourStart", """substr({0}."CreatedAt", 1, 13) || ':00:00'"""),
        new("KeyUsageDays", "KeyUsageActorDays", "DayStart", """substr({0}."CreatedAt", 1, 10) || ' 00:00:00'"""),
    ];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        foreach (CountTables t in Tables)
        {
            migrationBuilder.Sql($"""
                CREATE TABLE "{t.Usage}" (
                    "KeyId" TEXT NOT NULL,
                    "{t.Start}" TEXT NOT NULL,
                    "EventType" TEXT NOT NULL,
                    "Outcome" TEXT NOT NULL,
                    "Error" TEXT NOT NULL,
                    "ProjectId" TEXT NOT NULL,
                    "Count" INTEGER NOT NULL,
                    "LastAt" TEXT NOT NULL,
                    CONSTRAINT "PK_{t.Usage}" PRIMARY KEY ("KeyId", "{t.Start}", "EventType", "Outcome", "Error")) WITHOUT ROWID;
                """);
            migrationBuilder.Sql($"""
                CREATE INDEX "IX_{t.Usage}_Project" ON "{t.Usage}"
                    ("ProjectId", "{t.Start}", "KeyId", "EventType", "Outcome", "Error", "Count", "LastAt");
                """);
            migrationBuilder.Sql($"""
                CREATE TABLE "{t.Actors}" (
                    "KeyId" TEXT NOT NULL,
                    "{t.Start}" TEXT NOT NULL,
                    "ActorType" TEXT NOT NULL,
                    "ActorKey" TEXT NOT NULL,
                    "ProjectId" TEXT NOT NULL,
                    "ActorId" TEXT NULL,
                    "ActorName" TEXT NOT NULL,
                    "Count" INTEGER NOT NULL,
                    "FailureCount" INTEGER NOT NULL,
                    "LastAt" TEXT NOT NULL,
                    CONSTRAINT "PK_{t.Actors}" PRIMARY KEY ("KeyId", "{t.Start}", "ActorType", "ActorKey")) WITHOUT ROWID;
                """);
            migrationBuilder.Sql($"""
                CREATE INDEX "IX_{t.Actors}_Project" ON "{t.Actors}"
                    ("ProjectId", "{t.Start}", "ActorType", "ActorKey", "ActorId", "ActorName", "Count", "FailureCount", "LastAt");
                """);

            // Records written before this migration.
            migrationBuilder.Sql($"""
                INSERT INTO "{t.Usage}" ("KeyId", "{t.Start}", "EventType", "Outcome", "Error", "ProjectId", "Count", "LastAt")
                SELECT "KeyId", {t.StartOf("e")}, "EventType", "Outcome", {string.Format(Error, "e")}, MAX("ProjectId"), COUNT(*), MAX("CreatedAt")
                FROM "AuditEvents" e WHERE "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({EventTypeList})
                GROUP BY 1, 2, 3, 4, 5;
                """);
            migrationBuilder.Sql($"""
                INSERT INTO "{t.Actors}" ("KeyId", "{t.Start}", "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName", "Count", "FailureCount", "LastAt")
                SELECT "KeyId", {t.StartOf("e")}, "ActorType", {string.Format(ActorKey, "e")}, MAX("ProjectId"), MAX("ActorId"), MAX("ActorName"),
                    COUNT(*), SUM("Outcome" = 'failure'), MAX("CreatedAt")
                FROM "AuditEvents" e WHERE "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({EventTypeList})
                GROUP BY 1, 2, 3, 4;
                """);
        }

        // The name a deleted key had, for the audit log's pages: only deletions are indexed.
        migrationBuilder.Sql("""
            CREATE INDEX "IX_AuditEvents_DeletedKeys" ON "AuditEvents" ("ProjectId", "KeyId") WHERE "EventType" = 'delete-cmek';
            """);

        // While the audit writer holds a row here (only inside its own transaction, so no one else ever sees
        // it), the insert trigger leaves its records alone: it counts a whole batch at once (KeyUsageBatchCounts).
        migrationBuilder.Sql("""
            CREATE TABLE "KeyUsageCountingDeferred" ("Id" INTEGER NOT NULL CONSTRAINT "PK_KeyUsageCountingDeferred" PRIMARY KEY);
            """);
        migrationBuilder.Sql($"""
            CREATE TRIGGER "KeyUsage_Insert" AFTER INSERT ON "AuditEvents"
            WHEN NEW."KeyId" IS NOT NULL AND NEW."ProjectId" IS NOT NULL AND NEW."EventType" IN ({EventTypeList})
                AND NOT EXISTS (SELECT 1 FROM "KeyUsageCountingDeferred")
            BEGIN
            {string.Concat(Tables.Select(Count))}END;
            """);
        migrationBuilder.Sql($"""
            CREATE TRIGGER "KeyUsage_Delete" AFTER DELETE ON "AuditEvents"
            WHEN OLD."KeyId" IS NOT NULL AND OLD."ProjectId" IS NOT NULL AND OLD."EventType" IN ({EventTypeList})
            BEGIN
            {UncountStatements}END;
            """);
    }

    /// <summary>The insert trigger's statements for one granularity: the record's row in each table, made or added to.</summary>
    private static string Count(CountTables t) => $"""
            INSERT INTO "{t.Usage}" ("KeyId", "{t.Start}", "EventType", "Outcome", "Error", "ProjectId", "Count", "LastAt")
            VALUES (NEW."KeyId", {t.StartOf("NEW")}, NEW."EventType", NEW."Outcome", {string.Format(Error, "NEW")}, NEW."ProjectId", 1, NEW."CreatedAt")
            ON CONFLICT DO UPDATE SET "Count" = "Count" + 1, "LastAt" = max("LastAt", excluded."LastAt");
            INSERT INTO "{t.Actors}" ("KeyId", "{t.Start}", "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName", "Count", "FailureCount", "LastAt")
            VALUES (NEW."KeyId", {t.StartOf("NEW")}, NEW."ActorType", {string.Format(ActorKey, "NEW")}, NEW."ProjectId", NEW."ActorId", NEW."ActorName",
                1, NEW."Outcome" = 'failure', NEW."CreatedAt")
            ON CONFLICT DO UPDATE SET "Count" = "Count" + 1, "FailureCount" = "FailureCount" + excluded."FailureCount",
                "ActorName" = excluded."ActorName", "LastAt" = max("LastAt", excluded."LastAt");

        """;

    /// <summary>The delete trigger's statements, every granularity's; <c>KeyUsagePending</c> keeps them when it narrows the trigger's condition.</summary>
    internal static string UncountStatements => string.Concat(Tables.Select(Uncount));

    /// <summary>The delete trigger's statements for one granularity: the record taken off its rows, emptied rows removed.</summary>
    private static string Uncount(CountTables t)
    {
        string usageRow = $"""
            "KeyId" = OLD."KeyId" AND "{t.Start}" = {t.StartOf("OLD")} AND "EventType" = OLD."EventType"
                    AND "Outcome" = OLD."Outcome" AND "Error" = {string.Format(Error, "OLD")}
            """;
        string actorRow = $"""
            "KeyId" = OLD."KeyId" AND "{t.Start}" = {t.StartOf("OLD")} AND "ActorType" = OLD."ActorType"
                    AND "ActorKey" = {string.Format(ActorKey, "OLD")}
            """;
        return $"""
                UPDATE "{t.Usage}" SET "Count" = "Count" - 1 WHERE {usageRow};
                DELETE FROM "{t.Usage}" WHERE {usageRow} AND "Count" <= 0;
                UPDATE "{t.Actors}" SET "Count" = "Count" - 1, "FailureCount" = "FailureCount" - (OLD."Outcome" = 'failure') WHERE {actorRow};
                DELETE FROM "{t.Actors}" WHERE {actorRow} AND "Count" <= 0;

            """;
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""DROP TRIGGER "KeyUsage_Delete";""");
        migrationBuilder.Sql("""DROP TRIGGER "KeyUsage_Insert";""");
        migrationBuilder.Sql("""DROP INDEX "IX_AuditEvents_DeletedKeys";""");
        migrationBuilder.Sql("""DROP TABLE "KeyUsageCountingDeferred";""");
        foreach (CountTables t in Tables)
        {
            migrationBuilder.Sql($"""DROP TABLE "{t.Actors}";""");
            migrationBuilder.Sql($"""DROP TABLE "{t.Usage}";""");
        }
    }

    /// <summary>One granularity's two tables, the name of their start column, and how a record's time is cut to it.</summary>
    private sealed record CountTables(string Usage, string Actors, string Start, string StartFormat)
    {
        public string StartOf(string row) => string.Format(CultureInfo.InvariantCulture, StartFormat, row);
    }
}
