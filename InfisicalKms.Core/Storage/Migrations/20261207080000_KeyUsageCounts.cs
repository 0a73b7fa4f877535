using InfisicalKms.Core.Usage;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace InfisicalKms.Core.Storage.Migrations;

/// <summary>
/// Hourly counts of each key's operations, kept by triggers on <c>AuditEvents</c> in the same transaction as
/// every record written or pruned, so a usage chart sums a few hundred rows instead of scanning the audit log
/// (<see cref="KeyUsageService"/>). Not part of the EF model, like <see cref="ProjectKeyCounts"/>:
/// <see cref="DatabaseCopy"/> leaves them out and the target's triggers count the copied records again.
/// </summary>
/// <remarks>
/// <para>
/// <c>KeyUsageHours</c> counts records per key, hour (UTC), event type, outcome and error class;
/// <c>KeyUsageActorHours</c> per key, hour and actor. Only the usage events of
/// <see cref="KeyUsageOperations"/> are counted. A pruned record is uncounted by the delete trigger, so
/// the totals always equal what the audit log lists for the same hours.
/// </para>
/// <para>
/// SQLite stores a time as EF's text (<c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c>): its first 13 characters are the
/// hour, and the hour's start in the same form compares and reads back like any other stored time.
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

    private const string Hour = """substr({0}."CreatedAt", 1, 13) || ':00:00'""";

    private const string Error = """CASE WHEN {0}."Outcome" = 'failure' THEN COALESCE(json_extract({0}."Metadata", '$.error'), '') ELSE '' END""";

    private const string ActorKey = """COALESCE({0}."ActorId", 'name:' || {0}."ActorName")""";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            CREATE TABLE "KeyUsageHours" (
                "KeyId" TEXT NOT NULL,
                "HourStart" TEXT NOT NULL,
                "EventType" TEXT NOT NULL,
                "Outcome" TEXT NOT NULL,
                "Error" TEXT NOT NULL,
                "ProjectId" TEXT NOT NULL,
                "Count" INTEGER NOT NULL,
                "LastAt" TEXT NOT NULL,
                CONSTRAINT "PK_KeyUsageHours" PRIMARY KEY ("KeyId", "HourStart", "EventType", "Outcome", "Error")) WITHOUT ROWID;
            """);
        migrationBuilder.Sql("""
            CREATE INDEX "IX_KeyUsageHours_Project" ON "KeyUsageHours"
                ("ProjectId", "HourStart", "KeyId", "EventType", "Outcome", "Error", "Count", "LastAt");
            """);
        migrationBuilder.Sql("""
            CREATE TABLE "KeyUsageActorHours" (
                "KeyId" TEXT NOT NULL,
                "HourStart" TEXT NOT NULL,
                "ActorType" TEXT NOT NULL,
                "ActorKey" TEXT NOT NULL,
                "ProjectId" TEXT NOT NULL,
                "ActorId" TEXT NULL,
                "ActorName" TEXT NOT NULL,
                "Count" INTEGER NOT NULL,
                "FailureCount" INTEGER NOT NULL,
                "LastAt" TEXT NOT NULL,
                CONSTRAINT "PK_KeyUsageActorHours" PRIMARY KEY ("KeyId", "HourStart", "ActorType", "ActorKey")) WITHOUT ROWID;
            """);
        migrationBuilder.Sql("""
            CREATE INDEX "IX_KeyUsageActorHours_Project" ON "KeyUsageActorHours"
                ("ProjectId", "HourStart", "ActorType", "ActorKey", "ActorId", "ActorName", "Count", "FailureCount", "LastAt");
            """);

        // The name a deleted key had, for the audit log's pages: only deletions are indexed.
        migrationBuilder.Sql("""
            CREATE INDEX "IX_AuditEvents_DeletedKeys" ON "AuditEvents" ("ProjectId", "KeyId") WHERE "EventType" = 'delete-cmek';
            """);

        // Records written before this migration.
        migrationBuilder.Sql($"""
            INSERT INTO "KeyUsageHours" ("KeyId", "HourStart", "EventType", "Outcome", "Error", "ProjectId", "Count", "LastAt")
            SELECT "KeyId", {string.Format(Hour, "e")}, "EventType", "Outcome", {string.Format(Error, "e")}, MAX("ProjectId"), COUNT(*), MAX("CreatedAt")
            FROM "AuditEvents" e WHERE "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({EventTypeList})
            GROUP BY 1, 2, 3, 4, 5;
            """);
        migrationBuilder.Sql($"""
            INSERT INTO "KeyUsageActorHours" ("KeyId", "HourStart", "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName", "Count", "FailureCount", "LastAt")
            SELECT "KeyId", {string.Format(Hour, "e")}, "ActorType", {string.Format(ActorKey, "e")}, MAX("ProjectId"), MAX("ActorId"), MAX("ActorName"),
                COUNT(*), SUM("Outcome" = 'failure'), MAX("CreatedAt")
            FROM "AuditEvents" e WHERE "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({EventTypeList})
            GROUP BY 1, 2, 3, 4;
            """);

        migrationBuilder.Sql($"""
            CREATE TRIGGER "KeyUsage_Insert" AFTER INSERT ON "AuditEvents"
            WHEN NEW."KeyId" IS NOT NULL AND NEW."ProjectId" IS NOT NULL AND NEW."EventType" IN ({EventTypeList})
            BEGIN
                INSERT INTO "KeyUsageHours" ("KeyId", "HourStart", "EventType", "Outcome", "Error", "ProjectId", "Count", "LastAt")
                VALUES (NEW."KeyId", {string.Format(Hour, "NEW")}, NEW."EventType", NEW."Outcome", {string.Format(Error, "NEW")}, NEW."ProjectId", 1, NEW."CreatedAt")
                ON CONFLICT DO UPDATE SET "Count" = "Count" + 1, "LastAt" = max("LastAt", excluded."LastAt");
                INSERT INTO "KeyUsageActorHours" ("KeyId", "HourStart", "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName", "Count", "FailureCount", "LastAt")
                VALUES (NEW."KeyId", {string.Format(Hour, "NEW")}, NEW."ActorType", {string.Format(ActorKey, "NEW")}, NEW."ProjectId", NEW."ActorId", NEW."ActorName",
                    1, NEW."Outcome" = 'failure', NEW."CreatedAt")
                ON CONFLICT DO UPDATE SET "Count" = "Count" + 1, "FailureCount" = "FailureCount" + excluded."FailureCount",
                    "ActorName" = excluded."ActorName", "LastAt" = max("LastAt", excluded."LastAt");
            END;
            """);
        migrationBuilder.Sql($"""
            CREATE TRIGGER "KeyUsage_Delete" AFTER DELETE ON "AuditEvents"
            WHEN OLD."KeyId" IS NOT NULL AND OLD."ProjectId" IS NOT NULL AND OLD."EventType" IN ({EventTypeList})
            BEGIN
                UPDATE "KeyUsageHours" SET "Count" = "Count" - 1
                WHERE "KeyId" = OLD."KeyId" AND "HourStart" = {string.Format(Hour, "OLD")} AND "EventType" = OLD."EventType"
                    AND "Outcome" = OLD."Outcome" AND "Error" = {string.Format(Error, "OLD")};
                DELETE FROM "KeyUsageHours"
                WHERE "KeyId" = OLD."KeyId" AND "HourStart" = {string.Format(Hour, "OLD")} AND "EventType" = OLD."EventType"
                    AND "Outcome" = OLD."Outcome" AND "Error" = {string.Format(Error, "OLD")} AND "Count" <= 0;
                UPDATE "KeyUsageActorHours" SET "Count" = "Count" - 1, "FailureCount" = "FailureCount" - (OLD."Outcome" = 'failure')
                WHERE "KeyId" = OLD."KeyId" AND "HourStart" = {string.Format(Hour, "OLD")} AND "ActorType" = OLD."ActorType"
                    AND "ActorKey" = {string.Format(ActorKey, "OLD")};
                DELETE FROM "KeyUsageActorHours"
                WHERE "KeyId" = OLD."KeyId" AND "HourStart" = {string.Format(Hour, "OLD")} AND "ActorType" = OLD."ActorType"
                    AND "ActorKey" = {string.Format(ActorKey, "OLD")} AND "Count" <= 0;
            END;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""DROP TRIGGER "KeyUsage_Delete";""");
        migrationBuilder.Sql("""DROP TRIGGER "KeyUsage_Insert";""");
        migrationBuilder.Sql("""DROP INDEX "IX_AuditEvents_DeletedKeys";""");
        migrationBuilder.Sql("""DROP TABLE "KeyUsageActorHours";""");
        migrationBuilder.Sql("""DROP TABLE "KeyUsageHours";""");
    }
}
