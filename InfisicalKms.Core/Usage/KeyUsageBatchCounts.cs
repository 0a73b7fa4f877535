using System.Data.Common;

namespace InfisicalKms.Core.Usage;

/// <summary>
/// The audit writer's way of keeping the key usage counts: one statement per count table for many records at once,
/// instead of the insert trigger's four upserts per record, which cost the hot path about 40 % of its encrypts per
/// second (bench/README.md, "Key usage").
/// </summary>
/// <remarks>
/// <para>
/// The writer first turns the trigger off for its transaction alone: on SQLite by holding a row in
/// <c>KeyUsageCountingDeferred</c> (a writer holds the database's only write lock, and the row is gone again before
/// it commits, so no one else ever sees it); on PostgreSQL with the transaction-local setting
/// <c>kms.usage_counting_deferred</c>. Then it inserts the records and turns the trigger on again.
/// Every other writer (EF's <c>SaveChanges</c>, retention's deletions, a database copy) is still counted by the triggers.
/// </para>
/// <para>
/// On PostgreSQL the writer counts the batch in its own transaction (<see cref="CountBatch"/>), finding it by
/// the records' IDs, since another instance may commit records with larger sequences meanwhile. On SQLite it
/// leaves the batch's range of sequences in <c>KeyUsagePending</c> (<see cref="MarkPending"/>), and counts
/// every pending range a few seconds later (<see cref="CountPending"/>), or sooner when a reader of the
/// counts asks (<see cref="Audit.AuditWriter.CountUsageAsync"/>). Counting each batch touched, for every distinct
/// key in it, a row and an index entry in each of the four tables: with requests spread over 10,000 keys that
/// was about 480 pages written to the log per commit, and the writer's thread spent its core writing them
/// (bench/README.md, "The hot path"). Counted a few seconds at a time, each page is written once per count, and a
/// key used many times meanwhile costs one row update per table. The writer adds its own batches from the tally
/// it keeps as they commit (<see cref="KeyUsageTally"/>, <see cref="AddGroup"/>), and reads back only the records
/// of ranges it did not tally.
/// </para>
/// <para>
/// A round of counting (every range pending when it starts, up to its <c>@last</c>) is counted in slices of keys,
/// one transaction each, with batches committed between them: counted whole, 3 seconds of requests spread over
/// 10,000 keys held the write lock, and every batch behind it, for about 270 ms. Each slice counts the keys after
/// the ranges' <c>CountedThrough</c> up to its own last key (<c>@to</c>; null for the rest) and moves
/// <c>CountedThrough</c> there (<see cref="AdvanceRound"/>), or, as the last slice, removes the round's ranges
/// (<see cref="FinishRound"/>). Ranges committed during a round are counted by the next one.
/// </para>
/// <para>
/// The statements group the records exactly as the triggers and the <c>KeyUsageCounts</c> migrations do
/// (<c>KeyUsageCountsTests</c> compares them).
/// </para>
/// </remarks>
internal sealed class KeyUsageBatchCounts(bool postgres)
{
    private const string EventTypes = Storage.Migrations.KeyUsageCounts.EventTypeList;

    /// <summary>Whether the batches' usage is counted later (SQLite), not in the batch's own transaction (PostgreSQL).</summary>
    public bool CountsLater => !postgres;

    /// <summary>The statement that turns the insert trigger off for the rest of the transaction (or until <see cref="Resume"/>).</summary>
    public string Defer => postgres
        ? "SELECT set_config('kms.usage_counting_deferred', 'on', true)"
        : """INSERT INTO "KeyUsageCountingDeferred" ("Id") VALUES (1)""";

    /// <summary>The statement that turns it on again.</summary>
    public string Resume => postgres
        ? "SELECT set_config('kms.usage_counting_deferred', 'off', true)"
        : """DELETE FROM "KeyUsageCountingDeferred" """;

    /// <summary>SQLite: the largest <c>Sequence</c> before the batch, bound as <c>@after</c> in <see cref="MarkPending"/>.</summary>
    public const string LastSequence = """SELECT COALESCE(MAX("Sequence"), 0) FROM "AuditEvents" """;

    /// <summary>
    /// SQLite: leaves the batch's records, those after <c>@after</c> (a <see cref="long"/>), to be counted later. The
    /// writer holds the write lock, so they are the batch's and no one else's.
    /// </summary>
    public const string MarkPending = """
        INSERT INTO "KeyUsagePending" ("After", "Last") SELECT @after, MAX("Sequence") FROM "AuditEvents"
        """;

    /// <summary>
    /// SQLite: the statements that add the groups in the scratch table of <see cref="CreateGroups"/> (put there by
    /// <see cref="AddGroup"/> and <see cref="GroupUntallied"/>) to the hourly and daily counts, and empty it. They
    /// take no parameter.
    /// </summary>
    public static IReadOnlyList<string> CountPending => SqliteCount;

    /// <summary>
    /// PostgreSQL: the four statements that add the batch to the hourly and daily counts. Their parameter is
    /// <c>@ids</c>, the records' IDs (a <see cref="Guid"/> array), bound with <see cref="Batch"/>.
    /// </summary>
    public static IReadOnlyList<string> CountBatch => PostgresCount;

    /// <summary>Binds the batch's records to one of <see cref="CountBatch"/>'s statements.</summary>
    public static DbParameter Batch(DbCommand command, IEnumerable<Guid> ids)
    {
        DbParameter parameter = command.CreateParameter();
        parameter.ParameterName = "ids";
        parameter.Value = ids.ToArray();
        return parameter;
    }

    /// <summary>
    /// SQLite: the connection's scratch table for <see cref="CountPending"/>, made once per connection. Temporary
    /// tables belong to the connection alone and are never written to the database file.
    /// </summary>
    public const string CreateGroups = """
        CREATE TEMP TABLE IF NOT EXISTS "KeyUsagePendingGroups" (
            "KeyId" TEXT NOT NULL, "HourStart" TEXT NOT NULL, "EventType" TEXT NOT NULL, "Outcome" TEXT NOT NULL,
            "Error" TEXT NOT NULL, "ActorType" TEXT NOT NULL, "ActorKey" TEXT NOT NULL, "ProjectId" TEXT NOT NULL,
            "ActorId" TEXT NULL, "ActorName" TEXT NOT NULL, "Count" INTEGER NOT NULL, "LastAt" TEXT NOT NULL)
        """;

    /// <summary>
    /// SQLite: the ranges pending, by their <c>After</c>, with how far a round has counted them (null: not at all):
    /// a slice's first read, under the write lock.
    /// </summary>
    public const string PendingRanges = """SELECT "After", "CountedThrough" FROM "KeyUsagePending" """;

    /// <summary>SQLite: a slice of the round up to <c>@last</c> has counted every key up to <c>@to</c>.</summary>
    public const string AdvanceRound = """UPDATE "KeyUsagePending" SET "CountedThrough" = @to WHERE "After" <= @last""";

    /// <summary>SQLite: the last slice of the round up to <c>@last</c> has counted the rest of its keys.</summary>
    public const string FinishRound = """DELETE FROM "KeyUsagePending" WHERE "After" <= @last""";

    /// <summary>SQLite: one group of the writer's own tally (<see cref="KeyUsageTally"/>) into the scratch table, before <see cref="CountPending"/>.</summary>
    public const string AddGroup = """
        INSERT INTO temp."KeyUsagePendingGroups" ("KeyId", "HourStart", "EventType", "Outcome", "Error", "ActorType", "ActorKey",
            "ProjectId", "ActorId", "ActorName", "Count", "LastAt")
        VALUES (@KeyId, @HourStart, @EventType, @Outcome, @Error, @ActorType, @ActorKey, @ProjectId, @ActorId, @ActorName, @Count, @LastAt)
        """;

    /// <summary>
    /// SQLite: the records of the round's ranges (up to <c>@last</c>) that the writer's tally does not hold
    /// (<c>@tallied</c>, a JSON array of their <c>After</c>), of the slice's keys (after <c>@from</c>, up to
    /// <c>@to</c> unless it is null), read into the scratch table beside the tally's own groups: one row per key, hour,
    /// event type, outcome, error class and actor (a hot key's seconds of records are a handful), from which
    /// <see cref="CountPending"/> counts the four tables. Each grouping's ProjectId, ActorId and ActorName beside
    /// its one max() aggregate are SQLite's bare columns: they come from the newest record, so the name is the one
    /// it bore, as the trigger keeps it (the other two are the same on every record of a group).
    /// </summary>
    public const string GroupUntallied = $"""
        INSERT INTO temp."KeyUsagePendingGroups"
        SELECT "KeyId", substr(e."CreatedAt", 1, 13) || ':00:00', "EventType", "Outcome",
            CASE WHEN e."Outcome" = 'failure' THEN COALESCE(json_extract(e."Metadata", '$.error'), '') ELSE '' END,
            "ActorType", COALESCE(e."ActorId", 'name:' || e."ActorName"), "ProjectId", "ActorId", "ActorName", COUNT(*), MAX("CreatedAt")
        FROM "KeyUsagePending" p JOIN "AuditEvents" e ON e."Sequence" > p."After" AND e."Sequence" <= p."Last"
        WHERE p."After" <= @last AND p."After" NOT IN (SELECT "value" FROM json_each(@tallied))
            AND "KeyId" > @from AND (@to IS NULL OR "KeyId" <= @to)
            AND "KeyId" IS NOT NULL AND "ProjectId" IS NOT NULL AND "EventType" IN ({EventTypes})
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        """;

    private static readonly string[] SqliteCount =
    [
        .. new (string Usage, string Actors, string Start, string StartOf)[]
        {
            ("KeyUsageHours", "KeyUsageActorHours", "HourStart", "g.\"HourStart\""),
            ("KeyUsageDays", "KeyUsageActorDays", "DayStart", "substr(g.\"HourStart\", 1, 10) || ' 00:00:00'"),
        }
        .SelectMany(t => new[]
        {
            $"""
            INSERT INTO "{t.Usage}" ("KeyId", "{t.Start}", "EventType", "Outcome", "Error", "ProjectId", "Count", "LastAt")
            SELECT "KeyId", {t.StartOf}, "EventType", "Outcome", "Error", "ProjectId", SUM("Count"), MAX("LastAt")
            FROM temp."KeyUsagePendingGroups" g WHERE true
            GROUP BY 1, 2, 3, 4, 5
            ON CONFLICT DO UPDATE SET "Count" = "Count" + excluded."Count", "LastAt" = max("LastAt", excluded."LastAt")
            """,
            $"""
            INSERT INTO "{t.Actors}" ("KeyId", "{t.Start}", "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName", "Count", "FailureCount", "LastAt")
            SELECT "KeyId", {t.StartOf}, "ActorType", "ActorKey", "ProjectId", "ActorId", "ActorName",
                SUM("Count"), SUM(CASE WHEN "Outcome" = 'failure' THEN "Count" ELSE 0 END), MAX("LastAt")
            FROM temp."KeyUsagePendingGroups" g WHERE true
            GROUP BY 1, 2, 3, 4
            ON CONFLICT DO UPDATE SET "Count" = "Count" + excluded."Count", "FailureCount" = "FailureCount" + excluded."FailureCount",
                "ActorName" = excluded."ActorName", "LastAt" = max("LastAt", excluded."LastAt")
            """,
        }),
        """DELETE FROM temp."KeyUsagePendingGroups" """,
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
