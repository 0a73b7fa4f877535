using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace InfisicalKms.Core.Storage.Migrations;

/// <summary>
/// The number of keys in each project, kept by triggers in the same transaction as every key created or
/// deleted, so the first page of a key list reports its <c>totalCount</c> without counting every key of the
/// project (at 100,000 keys the count was most of the page's time). Not part of the EF model: only
/// <see cref="Keys.KeyService"/>'s list reads it.
/// </summary>
[DbContext(typeof(KmsDbContext))]
[Migration("20261206211500_ProjectKeyCounts")]
public sealed class ProjectKeyCounts : Migration
{
    private const string CountNewKey = """
        INSERT INTO "ProjectKeyCounts" ("ProjectId", "Count") VALUES (NEW."ProjectId", 1)
        ON CONFLICT ("ProjectId") DO UPDATE SET "Count" = "Count" + 1;
        """;

    private const string UncountOldKey = """
        UPDATE "ProjectKeyCounts" SET "Count" = "Count" - 1 WHERE "ProjectId" = OLD."ProjectId";
        """;

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            CREATE TABLE "ProjectKeyCounts" (
                "ProjectId" TEXT NOT NULL CONSTRAINT "PK_ProjectKeyCounts" PRIMARY KEY,
                "Count" INTEGER NOT NULL);
            """);
        migrationBuilder.Sql("""
            INSERT INTO "ProjectKeyCounts" ("ProjectId", "Count")
            SELECT "ProjectId", COUNT(*) FROM "Keys" GROUP BY "ProjectId";
            """);
        migrationBuilder.Sql($"""CREATE TRIGGER "ProjectKeyCount_Insert" AFTER INSERT ON "Keys" BEGIN {CountNewKey} END;""");
        migrationBuilder.Sql($"""CREATE TRIGGER "ProjectKeyCount_Delete" AFTER DELETE ON "Keys" BEGIN {UncountOldKey} END;""");
        migrationBuilder.Sql($"""
            CREATE TRIGGER "ProjectKeyCount_Move" AFTER UPDATE OF "ProjectId" ON "Keys"
            BEGIN {UncountOldKey} {CountNewKey} END;
            """);
        migrationBuilder.Sql("""
            CREATE TRIGGER "ProjectKeyCount_ProjectDeleted" AFTER DELETE ON "Projects"
            BEGIN
                DELETE FROM "ProjectKeyCounts" WHERE "ProjectId" = OLD."Id";
            END;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""DROP TRIGGER "ProjectKeyCount_ProjectDeleted";""");
        migrationBuilder.Sql("""DROP TRIGGER "ProjectKeyCount_Move";""");
        migrationBuilder.Sql("""DROP TRIGGER "ProjectKeyCount_Delete";""");
        migrationBuilder.Sql("""DROP TRIGGER "ProjectKeyCount_Insert";""");
        migrationBuilder.Sql("""DROP TABLE "ProjectKeyCounts";""");
    }
}
