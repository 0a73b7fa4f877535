using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace InfisicalKms.Core.Storage.Migrations.Postgres;

/// <summary>
/// PostgreSQL's counterparts of SQLite's <c>CacheStamps</c> and <c>ProjectKeyCounts</c> migrations.
/// </summary>
/// <remarks>
/// <para>
/// Caches: every UPDATE or DELETE statement on a table a cache reads sends <c>NOTIFY kms_cache</c> with the
/// scopes it touches (the bits of <see cref="Caching.CacheScopes"/>, and 8 for a deletion that affects keys).
/// PostgreSQL delivers a notification only when its transaction commits, so every instance listening
/// (<see cref="Caching.CacheStampWatcher"/>) hears of a change as soon as it is visible, and never of one that
/// rolled back. No row is written, so writers never queue behind a stamp row as they would on SQLite.
/// </para>
/// <para>Key counts: the same trigger-kept table as on SQLite, read by the key list for its total.</para>
/// <para>Frozen as written on the day, like SQLite's: <c>PostgresTriggerTests</c> checks the triggers against the invalidator's table map.</para>
/// </remarks>
[DbContext(typeof(KmsDbContext))]
[Migration("20261206224400_Triggers")]
public sealed class Triggers : Migration
{
    private static readonly (string Table, int Scopes)[] Tables =
    [
        ("AccessTokens", 1),
        ("UniversalAuths", 1),
        ("Identities", 1 | 2),
        ("IdentityMemberships", 2),
        ("UserMemberships", 2),
        ("AspNetUsers", 2),
        ("Projects", 2 | 4),
        ("Organizations", 1 | 2 | 4),
        ("Keys", 4),
        ("KeyVersions", 4),
        ("RootKey", 4),
    ];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            CREATE FUNCTION kms_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('kms_cache', TG_ARGV[0]);
                RETURN NULL;
            END $$;
            """);
        foreach ((string table, int scopes) in Tables)
        {
            int deleted = (scopes & 4) != 0 ? scopes | 8 : scopes;
            migrationBuilder.Sql($"""
                CREATE TRIGGER "CacheNotify_{table}_Update" AFTER UPDATE ON "{table}"
                    FOR EACH STATEMENT EXECUTE FUNCTION kms_cache_notify('{scopes}');
                CREATE TRIGGER "CacheNotify_{table}_Delete" AFTER DELETE ON "{table}"
                    FOR EACH STATEMENT EXECUTE FUNCTION kms_cache_notify('{deleted}');
                """);
        }

        migrationBuilder.Sql("""
            CREATE TABLE "ProjectKeyCounts" (
                "ProjectId" uuid NOT NULL CONSTRAINT "PK_ProjectKeyCounts" PRIMARY KEY,
                "Count" integer NOT NULL);
            INSERT INTO "ProjectKeyCounts" ("ProjectId", "Count")
                SELECT "ProjectId", COUNT(*) FROM "Keys" GROUP BY "ProjectId";

            CREATE FUNCTION kms_count_keys() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('DELETE', 'UPDATE') THEN
                    UPDATE "ProjectKeyCounts" SET "Count" = "Count" - 1 WHERE "ProjectId" = OLD."ProjectId";
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    INSERT INTO "ProjectKeyCounts" AS c ("ProjectId", "Count") VALUES (NEW."ProjectId", 1)
                    ON CONFLICT ("ProjectId") DO UPDATE SET "Count" = c."Count" + 1;
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER "ProjectKeyCount_Insert" AFTER INSERT ON "Keys" FOR EACH ROW EXECUTE FUNCTION kms_count_keys();
            CREATE TRIGGER "ProjectKeyCount_Delete" AFTER DELETE ON "Keys" FOR EACH ROW EXECUTE FUNCTION kms_count_keys();
            CREATE TRIGGER "ProjectKeyCount_Move" AFTER UPDATE OF "ProjectId" ON "Keys" FOR EACH ROW
                WHEN (OLD."ProjectId" IS DISTINCT FROM NEW."ProjectId") EXECUTE FUNCTION kms_count_keys();

            CREATE FUNCTION kms_uncount_project() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM "ProjectKeyCounts" WHERE "ProjectId" = OLD."Id";
                RETURN NULL;
            END $$;
            CREATE TRIGGER "ProjectKeyCount_ProjectDeleted" AFTER DELETE ON "Projects" FOR EACH ROW EXECUTE FUNCTION kms_uncount_project();
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            DROP TABLE "ProjectKeyCounts";
            DROP FUNCTION kms_count_keys() CASCADE;
            DROP FUNCTION kms_uncount_project() CASCADE;
            DROP FUNCTION kms_cache_notify() CASCADE;
            """);
    }
}
