using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace InfisicalKms.Core.Storage.Migrations;

/// <summary>
/// SQLite's audit writer counts a round of pending usage in several transactions, a slice of keys each, so that no
/// count holds the write lock (and every batch behind it) for long (<see cref="Usage.KeyUsageBatchCounts"/>). A
/// pending range's <c>CountedThrough</c> is the last key (as stored, upper-case text) whose usage in that range is
/// already in the counts; null while none is. Each slice's transaction moves it with the counts, so a crash between
/// two slices leaves the rest of the round to the next writer and counts no key twice.
/// </summary>
/// <remarks>
/// The delete trigger now tells the two halves of such a range apart: a record of a key already counted is
/// uncounted when deleted, as any counted record is; a record of a key not yet counted is left alone, and the rest
/// of the round no longer finds it. <c>Down</c> keeps the ranges and forgets their progress: run it on a server
/// stopped cleanly, which has counted everything pending as it stopped.
/// </remarks>
[DbContext(typeof(KmsDbContext))]
[Migration("20261208100000_KeyUsageCountProgress")]
public sealed class KeyUsageCountProgress : Migration
{
    private const string InPendingRange = """p."After" < OLD."Sequence" AND OLD."Sequence" <= p."Last" """;

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""ALTER TABLE "KeyUsagePending" ADD COLUMN "CountedThrough" TEXT NULL;""");
        migrationBuilder.Sql("""DROP TRIGGER "KeyUsage_Delete";""");
        migrationBuilder.Sql($"""
            {KeyUsagePending.DeleteTrigger}
            WHEN {KeyUsagePending.CountedRecord}
                AND NOT EXISTS (SELECT 1 FROM "KeyUsagePending" p
                    WHERE {InPendingRange}AND (p."CountedThrough" IS NULL OR OLD."KeyId" > p."CountedThrough"))
            BEGIN
            {KeyUsageCounts.UncountStatements}END;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""DROP TRIGGER "KeyUsage_Delete";""");
        migrationBuilder.Sql($"""
            {KeyUsagePending.DeleteTrigger}
            WHEN {KeyUsagePending.CountedRecord}
                AND NOT EXISTS (SELECT 1 FROM "KeyUsagePending" p WHERE {InPendingRange})
            BEGIN
            {KeyUsageCounts.UncountStatements}END;
            """);
        migrationBuilder.Sql("""ALTER TABLE "KeyUsagePending" DROP COLUMN "CountedThrough";""");
    }
}
