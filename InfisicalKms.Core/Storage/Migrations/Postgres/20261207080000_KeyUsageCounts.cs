using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace InfisicalKms.Core.Storage.Migrations.Postgres;

/// <summary>
/// PostgreSQL's counterpart of SQLite's <c>KeyUsageCounts</c> migration: the same hourly and daily count
/// tables, kept by row triggers on <c>AuditEvents</c> in the writer's transaction (and by the audit writer for its batches).
/// </summary>
/// <remarks>
/// <para>
/// While the audit writer has set <c>kms.usage_counting_deferred</c> for its transaction, the insert trigger
/// leaves its records alone: the writer counts a whole batch at once (<c>KeyUsageBatchCounts</c>).
/// </para>
/// <para>
/// Hours and days are cut in UTC whatever the session's time zone (<c>date_trunc</c> with its zone argument). Every
/// writer of a project's records already holds that chain's advisory lock (<c>AuditBatchInsert</c>,
/// <c>AuditChain</c>, <c>AuditRetention</c>), so two instances never wait on each other's count rows.
/// </para>
/// </remarks>
[DbContext(typeof(KmsDbContext))]
[Migration("20261207080000_KeyUsageCounts")]
public sealed class KeyUsageCounts : Migration
{
    /// <summary>The hour tables and their daily twins, with the name of their start column and its unit.</summary>
    private static readonly (string Usage, string Actors, string Start, string Unit)[] Tables =
    [
        ("KeyUsageHours", "KeyUsageActorHours", "HourStart", "hour"),
        ("KeyUsageDays", "KeyUsageActorDays", "DayStart", "day"),
    ];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        string eventTypes = Migrations.KeyUsageCounts.EventTypeList;
        foreach ((string usage, string actors, string start, string unit) in Tables)
        {
            migrationBuilder.Sql($"""
                CREATE TABLE "{usage}" (
                    "KeyId" uuid NOT NULL,
                    "{start}" timestamp with time zone NOT NULL,
                    "EventType" character varying(64) NOT NULL,
                    "Outcome" character varying(16) NOT NULL,
                    "Error" character varying(64) NOT NULL,
                    "ProjectId" uuid NOT NULL,
                    "Count" bigint NOT NULL,
                    "LastAt" timestamp with time zone NOT NULL,
                    CONSTRAINT "PK_{usage}" PRIMARY KEY ("KeyId", "{start}", "EventType", "Outcome", "Error"));
                CREATE INDEX "IX_{usage}_Project" ON "{usage}" ("ProjectId", "{start}")
                    INCLUDE ("KeyId", "EventType", "Outcome", "Error", "Count", "LastAt");

                CREATE TABLE "{actors}" (
                    "KeyId" uuid NOT NULL,
                    "{start}" timestamp with time zone NOT NULL,
                    "ActorType" character varying(16) NOT NULL,
                    "ActorKey" text NOT NULL,
                    "ProjectId" uuid NOT NULL,
                    "ActorId" uuid NULL,
                    "ActorName" character varying(320) NOT NULL,
                    "Count" bigint NOT NULL,
                    "FailureCount" bigint NOT NULL,
                    "LastAt" timestamp with time zone NOT NULL,
                    CONSTRAINT "PK_{actors}" PRIMARY KEY ("KeyId", "{start}", "ActorType", "ActorKey"));
                CREATE INDEX "IX_{actors}_Project" ON "{actors}" ("ProjectId", "{start}")
                    INCLUDE ("ActorType", "ActorKey", "ActorId", "ActorName", "Count", "FailureCount", "LastAt");
                """);

            // Records written before this migration.
            migrationBuilder.Sql($"""
                INSERT INTO "{usage}" ("KeyId", "{start}", "EventType", "Outcome", "Error", "ProjectId", "Count", "LastAt")
                SELECT "KeyId", date_trunc('{unit}', "CreatedAt", 'UTC'), "EventType", "Outcome",
                    CASE WHEN "Outcome" = 'failure' THEN COALESCE("Metadata"::jsonb ->> 'error', '') ELSE '' END,
                    (array_agg("ProjectId"))[1], COUNT(*), MAX("CreatedAt")
                FROM "AuditEvents" WHERE "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({eventTypes})
                GROUP BY 1, 2, 3, 4, 5;
                INSERT INTO "{actors}" ("KeyId", "{start}", "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName", "Count", "FailureCount", "LastAt")
                SELECT "KeyId", date_trunc('{unit}', "CreatedAt", 'UTC'), "ActorType", COALESCE("ActorId"::text, 'name:' || "ActorName"),
                    (array_agg("ProjectId"))[1], (array_agg("ActorId"))[1], MAX("ActorName"),
                    COUNT(*), COUNT(*) FILTER (WHERE "Outcome" = 'failure'), MAX("CreatedAt")
                FROM "AuditEvents" WHERE "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({eventTypes})
                GROUP BY 1, 2, 3, 4;
                """);
        }

        migrationBuilder.Sql("""
            CREATE INDEX "IX_AuditEvents_DeletedKeys" ON "AuditEvents" ("ProjectId", "KeyId") WHERE "EventType" = 'delete-cmek';
            """);

        migrationBuilder.Sql($"""
            CREATE FUNCTION kms_count_key_usage() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                r "AuditEvents";
                delta integer;
                failed integer;
                error text;
                actor text;
            BEGIN
                IF TG_OP = 'INSERT' THEN r := NEW; delta := 1; ELSE r := OLD; delta := -1; END IF;
                failed := CASE WHEN r."Outcome" = 'failure' THEN 1 ELSE 0 END;
                error := CASE WHEN failed = 1 THEN COALESCE(r."Metadata"::jsonb ->> 'error', '') ELSE '' END;
                actor := COALESCE(r."ActorId"::text, 'name:' || r."ActorName");
            {string.Concat(Tables.Select(t => Count(t.Usage, t.Actors, t.Start, t.Unit)))}    RETURN NULL;
            END $$;
            CREATE TRIGGER "KeyUsage_Insert" AFTER INSERT ON "AuditEvents" FOR EACH ROW
                WHEN (NEW."KeyId" IS NOT NULL AND NEW."ProjectId" IS NOT NULL AND NEW."EventType" IN ({eventTypes})
                    AND current_setting('kms.usage_counting_deferred', true) IS DISTINCT FROM 'on')
                EXECUTE FUNCTION kms_count_key_usage();
            CREATE TRIGGER "KeyUsage_Delete" AFTER DELETE ON "AuditEvents" FOR EACH ROW
                WHEN (OLD."KeyId" IS NOT NULL AND OLD."ProjectId" IS NOT NULL AND OLD."EventType" IN ({eventTypes}))
                EXECUTE FUNCTION kms_count_key_usage();
            """);
    }

    /// <summary>The function's statements for one granularity: the record added to its rows, or taken off them.</summary>
    private static string Count(string usage, string actors, string start, string unit) => $"""
            IF delta = 1 THEN
                INSERT INTO "{usage}" AS h ("KeyId", "{start}", "EventType", "Outcome", "Error", "ProjectId", "Count", "LastAt")
                VALUES (r."KeyId", date_trunc('{unit}', r."CreatedAt", 'UTC'), r."EventType", r."Outcome", error, r."ProjectId", 1, r."CreatedAt")
                ON CONFLICT ("KeyId", "{start}", "EventType", "Outcome", "Error")
                DO UPDATE SET "Count" = h."Count" + 1, "LastAt" = GREATEST(h."LastAt", EXCLUDED."LastAt");
                INSERT INTO "{actors}" AS a ("KeyId", "{start}", "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName", "Count", "FailureCount", "LastAt")
                VALUES (r."KeyId", date_trunc('{unit}', r."CreatedAt", 'UTC'), r."ActorType", actor, r."ProjectId", r."ActorId", r."ActorName", 1, failed, r."CreatedAt")
                ON CONFLICT ("KeyId", "{start}", "ActorType", "ActorKey")
                DO UPDATE SET "Count" = a."Count" + 1, "FailureCount" = a."FailureCount" + EXCLUDED."FailureCount",
                    "ActorName" = EXCLUDED."ActorName", "LastAt" = GREATEST(a."LastAt", EXCLUDED."LastAt");
            ELSE
                UPDATE "{usage}" SET "Count" = "Count" - 1
                WHERE "KeyId" = r."KeyId" AND "{start}" = date_trunc('{unit}', r."CreatedAt", 'UTC') AND "EventType" = r."EventType"
                    AND "Outcome" = r."Outcome" AND "Error" = error;
                DELETE FROM "{usage}"
                WHERE "KeyId" = r."KeyId" AND "{start}" = date_trunc('{unit}', r."CreatedAt", 'UTC') AND "EventType" = r."EventType"
                    AND "Outcome" = r."Outcome" AND "Error" = error AND "Count" <= 0;
                UPDATE "{actors}" SET "Count" = "Count" - 1, "FailureCount" = "FailureCount" - failed
                WHERE "KeyId" = r."KeyId" AND "{start}" = date_trunc('{unit}', r."CreatedAt", 'UTC') AND "ActorType" = r."ActorType" AND "ActorKey" = actor;
                DELETE FROM "{actors}"
                WHERE "KeyId" = r."KeyId" AND "{start}" = date_trunc('{unit}', r."CreatedAt", 'UTC') AND "ActorType" = r."ActorType" AND "ActorKey" = actor
                    AND "Count" <= 0;
            END IF;

        """;

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            DROP FUNCTION kms_count_key_usage() CASCADE;
            DROP INDEX "IX_AuditEvents_DeletedKeys";
            DROP TABLE "KeyUsageActorDays";
            DROP TABLE "KeyUsageDays";
            DROP TABLE "KeyUsageActorHours";
            DROP TABLE "KeyUsageHours";
            """);
    }
}
