using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace InfisicalKms.Core.Storage.Migrations.Postgres;

/// <summary>
/// PostgreSQL's counterpart of SQLite's <c>KeyUsageCounts</c> migration: the same two tables of hourly
/// counts, kept by row triggers on <c>AuditEvents</c> in the writer's transaction.
/// </summary>
/// <remarks>
/// Hours are cut in UTC whatever the session's time zone (<c>date_trunc</c> with its zone argument). Every
/// writer of a project's records already holds that chain's advisory lock (<c>AuditBatchInsert</c>,
/// <c>AuditChain</c>, <c>AuditRetention</c>), so two instances never wait on each other's count rows.
/// </remarks>
[DbContext(typeof(KmsDbContext))]
[Migration("20261207080000_KeyUsageCounts")]
public sealed class KeyUsageCounts : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        string eventTypes = Migrations.KeyUsageCounts.EventTypeList;
        migrationBuilder.Sql("""
            CREATE TABLE "KeyUsageHours" (
                "KeyId" uuid NOT NULL,
                "HourStart" timestamp with time zone NOT NULL,
                "EventType" character varying(64) NOT NULL,
                "Outcome" character varying(16) NOT NULL,
                "Error" character varying(64) NOT NULL,
                "ProjectId" uuid NOT NULL,
                "Count" bigint NOT NULL,
                "LastAt" timestamp with time zone NOT NULL,
                CONSTRAINT "PK_KeyUsageHours" PRIMARY KEY ("KeyId", "HourStart", "EventType", "Outcome", "Error"));
            CREATE INDEX "IX_KeyUsageHours_Project" ON "KeyUsageHours" ("ProjectId", "HourStart")
                INCLUDE ("KeyId", "EventType", "Outcome", "Error", "Count", "LastAt");

            CREATE TABLE "KeyUsageActorHours" (
                "KeyId" uuid NOT NULL,
                "HourStart" timestamp with time zone NOT NULL,
                "ActorType" character varying(16) NOT NULL,
                "ActorKey" text NOT NULL,
                "ProjectId" uuid NOT NULL,
                "ActorId" uuid NULL,
                "ActorName" character varying(320) NOT NULL,
                "Count" bigint NOT NULL,
                "FailureCount" bigint NOT NULL,
                "LastAt" timestamp with time zone NOT NULL,
                CONSTRAINT "PK_KeyUsageActorHours" PRIMARY KEY ("KeyId", "HourStart", "ActorType", "ActorKey"));
            CREATE INDEX "IX_KeyUsageActorHours_Project" ON "KeyUsageActorHours" ("ProjectId", "HourStart")
                INCLUDE ("ActorType", "ActorKey", "ActorId", "ActorName", "Count", "FailureCount", "LastAt");

            CREATE INDEX "IX_AuditEvents_DeletedKeys" ON "AuditEvents" ("ProjectId", "KeyId") WHERE "EventType" = 'delete-cmek';
            """);

        migrationBuilder.Sql($"""
            INSERT INTO "KeyUsageHours" ("KeyId", "HourStart", "EventType", "Outcome", "Error", "ProjectId", "Count", "LastAt")
            SELECT "KeyId", date_trunc('hour', "CreatedAt", 'UTC'), "EventType", "Outcome",
                CASE WHEN "Outcome" = 'failure' THEN COALESCE("Metadata"::jsonb ->> 'error', '') ELSE '' END,
                (array_agg("ProjectId"))[1], COUNT(*), MAX("CreatedAt")
            FROM "AuditEvents" WHERE "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({eventTypes})
            GROUP BY 1, 2, 3, 4, 5;
            INSERT INTO "KeyUsageActorHours" ("KeyId", "HourStart", "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName", "Count", "FailureCount", "LastAt")
            SELECT "KeyId", date_trunc('hour', "CreatedAt", 'UTC'), "ActorType", COALESCE("ActorId"::text, 'name:' || "ActorName"),
                (array_agg("ProjectId"))[1], (array_agg("ActorId"))[1], MAX("ActorName"),
                COUNT(*), COUNT(*) FILTER (WHERE "Outcome" = 'failure'), MAX("CreatedAt")
            FROM "AuditEvents" WHERE "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({eventTypes})
            GROUP BY 1, 2, 3, 4;
            """);

        migrationBuilder.Sql($"""
            CREATE FUNCTION kms_count_key_usage() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                r "AuditEvents";
                delta integer;
                hour timestamp with time zone;
                error text;
                actor text;
            BEGIN
                IF TG_OP = 'INSERT' THEN r := NEW; delta := 1; ELSE r := OLD; delta := -1; END IF;
                hour := date_trunc('hour', r."CreatedAt", 'UTC');
                error := CASE WHEN r."Outcome" = 'failure' THEN COALESCE(r."Metadata"::jsonb ->> 'error', '') ELSE '' END;
                actor := COALESCE(r."ActorId"::text, 'name:' || r."ActorName");
                IF delta = 1 THEN
                    INSERT INTO "KeyUsageHours" AS h ("KeyId", "HourStart", "EventType", "Outcome", "Error", "ProjectId", "Count", "LastAt")
                    VALUES (r."KeyId", hour, r."EventType", r."Outcome", error, r."ProjectId", 1, r."CreatedAt")
                    ON CONFLICT ("KeyId", "HourStart", "EventType", "Outcome", "Error")
                    DO UPDATE SET "Count" = h."Count" + 1, "LastAt" = GREATEST(h."LastAt", EXCLUDED."LastAt");
                    INSERT INTO "KeyUsageActorHours" AS a ("KeyId", "HourStart", "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName", "Count", "FailureCount", "LastAt")
                    VALUES (r."KeyId", hour, r."ActorType", actor, r."ProjectId", r."ActorId", r."ActorName", 1,
                        CASE WHEN r."Outcome" = 'failure' THEN 1 ELSE 0 END, r."CreatedAt")
                    ON CONFLICT ("KeyId", "HourStart", "ActorType", "ActorKey")
                    DO UPDATE SET "Count" = a."Count" + 1, "FailureCount" = a."FailureCount" + EXCLUDED."FailureCount",
                        "ActorName" = EXCLUDED."ActorName", "LastAt" = GREATEST(a."LastAt", EXCLUDED."LastAt");
                ELSE
                    UPDATE "KeyUsageHours" SET "Count" = "Count" - 1
                    WHERE "KeyId" = r."KeyId" AND "HourStart" = hour AND "EventType" = r."EventType" AND "Outcome" = r."Outcome" AND "Error" = error;
                    DELETE FROM "KeyUsageHours"
                    WHERE "KeyId" = r."KeyId" AND "HourStart" = hour AND "EventType" = r."EventType" AND "Outcome" = r."Outcome" AND "Error" = error
                        AND "Count" <= 0;
                    UPDATE "KeyUsageActorHours" SET "Count" = "Count" - 1,
                        "FailureCount" = "FailureCount" - CASE WHEN r."Outcome" = 'failure' THEN 1 ELSE 0 END
                    WHERE "KeyId" = r."KeyId" AND "HourStart" = hour AND "ActorType" = r."ActorType" AND "ActorKey" = actor;
                    DELETE FROM "KeyUsageActorHours"
                    WHERE "KeyId" = r."KeyId" AND "HourStart" = hour AND "ActorType" = r."ActorType" AND "ActorKey" = actor AND "Count" <= 0;
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER "KeyUsage_Insert" AFTER INSERT ON "AuditEvents" FOR EACH ROW
                WHEN (NEW."KeyId" IS NOT NULL AND NEW."ProjectId" IS NOT NULL AND NEW."EventType" IN ({eventTypes}))
                EXECUTE FUNCTION kms_count_key_usage();
            CREATE TRIGGER "KeyUsage_Delete" AFTER DELETE ON "AuditEvents" FOR EACH ROW
                WHEN (OLD."KeyId" IS NOT NULL AND OLD."ProjectId" IS NOT NULL AND OLD."EventType" IN ({eventTypes}))
                EXECUTE FUNCTION kms_count_key_usage();
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            DROP FUNCTION kms_count_key_usage() CASCADE;
            DROP INDEX "IX_AuditEvents_DeletedKeys";
            DROP TABLE "KeyUsageActorHours";
            DROP TABLE "KeyUsageHours";
            """);
    }
}
