using System.Data.Common;

namespace InfisicalKms.Core.Usage;

/// <summary>
/// The audit writer's way of keeping the key usage counts: one statement per count table for a whole batch of
/// records, instead of the insert trigger's four upserts per record, which cost the hot path about 40 % of its
/// encrypts per second (bench/README.md, "Key usage"). The batch is counted in its own transaction, so the counts
/// still change exactly when its records are committed.
/// </summary>
/// <remarks>
/// <para>
/// The writer first turns the trigger off for its transaction alone: on SQLite by holding a row in
/// <c>KeyUsageCountingDeferred</c> (a writer holds the database's only write lock, and the row is gone again before
/// it commits, so no one else ever sees it); on PostgreSQL with the transaction-local setting
/// <c>kms.usage_counting_deferred</c>. Then it inserts the records, counts them here, and turns the trigger on again.
/// Every other writer (EF's <c>SaveChanges</c>, retention's deletions, a database copy) is still counted by the triggers.
/// </para>
/// <para>
/// The statements group the batch's records exactly as the triggers and the <c>KeyUsageCounts</c> migrations do
/// (<c>KeyUsageCountsTests</c> compares them). SQLite finds the batch by <c>Sequence</c>: the records after the
/// largest one before the batch, which no one else can write meanwhile. PostgreSQL finds it by the records' IDs,
/// since another instance may commit records with larger sequences while the batch is written.
/// </para>
/// </remarks>
internal sealed class KeyUsageBatchCounts(bool postgres)
{
    private const string EventTypes = Storage.Migrations.KeyUsageCounts.EventTypeList;

    /// <summary>The statement that turns the insert trigger off for the rest of the transaction (or until <see cref="Resume"/>).</summary>
    public string Defer => postgres
        ? "SELECT set_config('kms.usage_counting_deferred', 'on', true)"
        : """INSERT INTO "KeyUsageCountingDeferred" ("Id") VALUES (1)""";

    /// <summary>The statement that turns it on again.</summary>
    public string Resume => postgres
        ? "SELECT set_config('kms.usage_counting_deferred', 'off', true)"
        : """DELETE FROM "KeyUsageCountingDeferred" """;

    /// <summary>SQLite only: the largest <c>Sequence</c> before the batch, bound as <c>@after</c> in <see cref="Count"/>.</summary>
    public const string LastSequence = """SELECT COALESCE(MAX("Sequence"), 0) FROM "AuditEvents" """;

    /// <summary>
    /// The four statements that add the batch to the hourly and daily counts. Their parameter is <c>@after</c> (a
    /// <see cref="long"/>) on SQLite and <c>@ids</c> (the records' IDs, a <see cref="Guid"/> array) on PostgreSQL.
    /// </summary>
    public IReadOnlyList<string> Count => postgres ? PostgresCount : SqliteCount;

    /// <summary>Binds the batch to one of <see cref="Count"/>'s statements.</summary>
    public DbParameter Batch(DbCommand command, long after, IEnumerable<Guid> ids)
    {
        DbParameter parameter = command.CreateParameter();
        parameter.ParameterName = postgres ? "ids" : "after";
        parameter.Value = postgres ? ids.ToArray() : after;
        return parameter;
    }

    private static readonly string[] SqliteCount =
    [
        .. new (string Usage, string Actors, string Start, string StartOf)[]
        {
            ("KeyUsageHours", "KeyUsageActorHours", "HourStart", """substr(e."CreatedAt", 1, 13) || ':00:00'"""),
            ("KeyUsageDays", "KeyUsageActorDays", "DayStart", """substr(e."CreatedAt", 1, 10) || ' 00:00:00'"""),
        }
        .SelectMany(t => new[]
        {
            $"""
            INSERT INTO "{t.Usage}" ("KeyId", "{t.Start}", "EventType", "Outcome", "Error", "ProjectId", "Count", "LastAt")
            SELECT "KeyId", {t.StartOf}, "EventType", "Outcome",
                CASE WHEN e."Outcome" = 'failure' THEN COALESCE(json_extract(e."Metadata", '$.error'), '') ELSE '' END,
                MAX("ProjectId"), COUNT(*), MAX("CreatedAt")
            FROM "AuditEvents" e
            WHERE e."Sequence" > @after AND "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({EventTypes})
            GROUP BY 1, 2, 3, 4, 5
            ON CONFLICT DO UPDATE SET "Count" = "Count" + excluded."Count", "LastAt" = max("LastAt", excluded."LastAt")
            """,
            // ActorName beside MAX("CreatedAt") is SQLite's bare column: the name on the newest record, as the trigger keeps it.
            $"""
            INSERT INTO "{t.Actors}" ("KeyId", "{t.Start}", "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName", "Count", "FailureCount", "LastAt")
            SELECT "KeyId", {t.StartOf}, "ActorType", COALESCE(e."ActorId", 'name:' || e."ActorName"), MAX("ProjectId"), MAX("ActorId"),
                "ActorName", COUNT(*), SUM("Outcome" = 'failure'), MAX("CreatedAt")
            FROM "AuditEvents" e
            WHERE e."Sequence" > @after AND "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({EventTypes})
            GROUP BY 1, 2, 3, 4
            ON CONFLICT DO UPDATE SET "Count" = "Count" + excluded."Count", "FailureCount" = "FailureCount" + excluded."FailureCount",
                "ActorName" = excluded."ActorName", "LastAt" = max("LastAt", excluded."LastAt")
            """,
        }),
    ];

    private static readonly string[] PostgresCount =
    [
        .. new (string Usage, string Actors, string Start, string Unit)[]
        {
            ("KeyUsageHours", "KeyUsageActorHours", "HourStart", "hour"),
            ("KeyUsageDays", "KeyUsageActorDays", "DayStart", "day"),
        }
        .SelectMany(t => new[]
        {
            $"""
            INSERT INTO "{t.Usage}" AS h ("KeyId", "{t.Start}", "EventType", "Outcome", "Error", "ProjectId", "Count", "LastAt")
            SELECT "KeyId", date_trunc('{t.Unit}', "CreatedAt", 'UTC'), "EventType", "Outcome",
                CASE WHEN "Outcome" = 'failure' THEN COALESCE("Metadata"::jsonb ->> 'error', '') ELSE '' END,
                (array_agg("ProjectId"))[1], COUNT(*), MAX("CreatedAt")
            FROM "AuditEvents"
            WHERE "Id" = ANY(@ids) AND "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({EventTypes})
            GROUP BY 1, 2, 3, 4, 5
            ON CONFLICT ("KeyId", "{t.Start}", "EventType", "Outcome", "Error")
            DO UPDATE SET "Count" = h."Count" + EXCLUDED."Count", "LastAt" = GREATEST(h."LastAt", EXCLUDED."LastAt")
            """,
            $"""
            INSERT INTO "{t.Actors}" AS a ("KeyId", "{t.Start}", "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName", "Count", "FailureCount", "LastAt")
            SELECT "KeyId", date_trunc('{t.Unit}', "CreatedAt", 'UTC'), "ActorType", COALESCE("ActorId"::text, 'name:' || "ActorName"),
                (array_agg("ProjectId"))[1], (array_agg("ActorId"))[1], (array_agg("ActorName" ORDER BY "CreatedAt" DESC))[1],
                COUNT(*), COUNT(*) FILTER (WHERE "Outcome" = 'failure'), MAX("CreatedAt")
            FROM "AuditEvents"
            WHERE "Id" = ANY(@ids) AND "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({EventTypes})
            GROUP BY 1, 2, 3, 4
            ON CONFLICT ("KeyId", "{t.Start}", "ActorType", "ActorKey")
            DO UPDATE SET "Count" = a."Count" + EXCLUDED."Count", "FailureCount" = a."FailureCount" + EXCLUDED."FailureCount",
                "ActorName" = EXCLUDED."ActorName", "LastAt" = GREATEST(a."LastAt", EXCLUDED."LastAt")
            """,
        }),
    ];
}
