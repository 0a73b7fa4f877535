using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace InfisicalKms.Core.Storage.Migrations;

/// <summary>
/// SQLite's audit writer counts its records' key usage every few seconds instead of with every batch
/// (<see cref="Usage.KeyUsageBatchCounts"/>): each batch leaves the range of sequences it wrote in
/// <c>KeyUsagePending</c>, in its own transaction, and a later transaction of the writer counts every pending
/// range and empties the table. A crash between the two loses nothing: the ranges are counted after the restart.
/// </summary>
/// <remarks>
/// <para>
/// The count tables' project indexes no longer hold the counts. An index that holds a count is rewritten with it
/// at every count, as much work again as the table's own row; without the counts an index entry changes only when
/// a row is made or removed. A project's report reads each row's counts from the table by its key instead
/// (bench/README.md, "Key usage").
/// </para>
/// <para>
/// A record deleted while its range is still pending was never counted, so the delete trigger now leaves it
/// alone; the later count no longer finds it. The trigger's statements are the <c>KeyUsageCounts</c> migration's.
/// PostgreSQL has no such table: its writer still counts each batch in the batch's transaction. <c>Down</c> drops
/// the table as it is: a server stopped cleanly has emptied it (the writer counts what is pending as it stops).
/// PostgreSQL's project indexes still hold the counts: its write path was not measured with requests spread over
/// many keys.
/// </para>
/// </remarks>
[DbContext(typeof(KmsDbContext))]
[Migration("20261208090000_KeyUsagePending")]
public sealed class KeyUsagePending : Migration
{
    /// <summary>The head of the usage delete trigger's definition (<see cref="KeyUsageCountProgress"/> makes it again).</summary>
    internal const string DeleteTrigger = """CREATE TRIGGER "KeyUsage_Delete" AFTER DELETE ON "AuditEvents" """;

    /// <summary>The delete trigger's condition for a record the counts hold.</summary>
    internal static readonly string CountedRecord =
        $"""OLD."KeyId" IS NOT NULL AND OLD."ProjectId" IS NOT NULL AND OLD."EventType" IN ({KeyUsageCounts.EventTypeList})""";

    /// <summary>Each count table, its start column, and the columns its project index held after those two.</summary>
    private static readonly (string Table, string Start, string Covered)[] ProjectIndexes =
    [
        ("KeyUsageHours", "HourStart", """ "KeyId", "EventType", "Outcome", "Error", "Count", "LastAt" """),
        ("KeyUsageDays", "DayStart", """ "KeyId", "EventType", "Outcome", "Error", "Count", "LastAt" """),
        ("KeyUsageActorHours", "HourStart", """ "ActorType", "ActorKey", "ActorId", "ActorName", "Count", "FailureCount", "LastAt" """),
        ("KeyUsageActorDays", "DayStart", """ "ActorType", "ActorKey", "ActorId", "ActorName", "Count", "FailureCount", "LastAt" """),
    ];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        foreach ((string table, string start, _) in ProjectIndexes)
        {
            migrationBuilder.Sql($"""DROP INDEX "IX_{table}_Project";""");
            migrationBuilder.Sql($"""CREATE INDEX "IX_{table}_Project" ON "{table}" ("ProjectId", "{start}");""");
        }

        // ("After", "Last"]: the sequences of one batch of the writer's records, not yet counted.
        migrationBuilder.Sql("""
            CREATE TABLE "KeyUsagePending" (
                "After" INTEGER NOT NULL CONSTRAINT "PK_KeyUsagePending" PRIMARY KEY,
                "Last" INTEGER NOT NULL);
            """);
        migrationBuilder.Sql("""DROP TRIGGER "KeyUsage_Delete";""");
        migrationBuilder.Sql($"""
            {DeleteTrigger}
            WHEN {CountedRecord}
                AND NOT EXISTS (SELECT 1 FROM "KeyUsagePending" p WHERE OLD."Sequence" > p."After" AND OLD."Sequence" <= p."Last")
            BEGIN
            {KeyUsageCounts.UncountStatements}END;
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""DROP TRIGGER "KeyUsage_Delete";""");
        migrationBuilder.Sql($"""
            {DeleteTrigger}
            WHEN {CountedRecord}
            BEGIN
            {KeyUsageCounts.UncountStatements}END;
            """);
        migrationBuilder.Sql("""DROP TABLE "KeyUsagePending";""");
        foreach ((string table, string start, string covered) in ProjectIndexes)
        {
            migrationBuilder.Sql($"""DROP INDEX "IX_{table}_Project";""");
            migrationBuilder.Sql($"""CREATE INDEX "IX_{table}_Project" ON "{table}" ("ProjectId", "{start}",{covered.TrimEnd()});""");
        }
    }
}
