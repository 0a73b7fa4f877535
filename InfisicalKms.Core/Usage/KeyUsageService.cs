using System.Globalization;
using System.Runtime.CompilerServices;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Usage;

/// <summary>
/// How much each key is used, by whom and with what outcome: read from the hourly and daily counts the database
/// keeps from the audit log (the <c>KeyUsageCounts</c> migrations), never from the records themselves, so a
/// 30-day chart of a project with a million records sums a few thousand rows. Reads need <c>read</c> on
/// <c>audit-logs</c>, like the audit log they summarise, and are not themselves audited.
/// </summary>
/// <remarks>
/// Each read first has the audit writer count what it left pending (<see cref="AuditWriter.CountUsageAsync"/>),
/// so a report holds every record committed before it was asked for, as the audit log does.
/// </remarks>
public sealed class KeyUsageService(IDbContextFactory<KmsDbContext> dbFactory, TimeProvider clock, AuditWriter writer)
{
    /// <summary>The most buckets one report returns: 83 days of hours, or five years of days.</summary>
    public const int MaxBuckets = 2000;

    /// <summary>The most actors a report lists.</summary>
    public const int MaxTopActors = 10;

    /// <summary>The most keys a project report lists, busiest first.</summary>
    public const int MaxKeyLines = 100;

    /// <summary>The most keys each attention list of the dashboard holds.</summary>
    public const int MaxAttentionKeys = 100;

    /// <summary>A key not used for this long, and older than this, is a candidate for disabling.</summary>
    public static readonly TimeSpan UnusedAfter = TimeSpan.FromDays(30);

    /// <summary>A scheduled rotation this close is due.</summary>
    public static readonly TimeSpan RotationDueWithin = TimeSpan.FromDays(7);

    /// <summary>A rotatable key without a schedule whose current version is this old is due.</summary>
    public static readonly TimeSpan UnscheduledRotationAge = TimeSpan.FromDays(365);

    /// <summary>One key's usage (spec extension <c>GET /api/v1/kms/keys/{keyId}/usage</c>); a deleted key is not found.</summary>
    public async Task<KeyUsageReport> ForKeyAsync(Actor actor, KeyRef keyRef, UsageQuery query, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, audit: null, ct, [Permission.ReadAuditLogs]);
        await writer.CountUsageAsync().WaitAsync(ct);
        // The window is checked once the caller may see the key: a stranger learns "not found", whatever the window.
        (DateTime from, DateTime to) = UsageWindow.Resolve(query, clock.GetUtcNow().UtcDateTime);
        UsageSeries series = await SeriesAsync(db, Scope.Key, key.Id, from, to, query.Bucket, ct);
        DateTime? lastUsed = await db.Database.SqlQuery<DateTime?>($"""
            SELECT MAX("LastAt") AS "Value" FROM "KeyUsageDays" WHERE "KeyId" = {key.Id} AND "Outcome" = 'success'
            """).SingleAsync(ct);
        return new KeyUsageReport(key.Id, key.ProjectId, key.Name, series, Utc(lastUsed));
    }

    /// <summary>A project's usage over all its keys, deleted ones included (spec extension <c>GET /api/v1/projects/{projectId}/usage</c>).</summary>
    public async Task<ProjectUsageReport> ForProjectAsync(Actor actor, string projectId, UsageQuery query, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, ct, Permission.ReadAuditLogs);
        (DateTime from, DateTime to) = UsageWindow.Resolve(query, clock.GetUtcNow().UtcDateTime);
        await writer.CountUsageAsync().WaitAsync(ct);
        UsageSeries series = await SeriesAsync(db, Scope.Project, project.Id, from, to, query.Bucket, ct);

        List<KeyRow> rows = await db.Database.SqlQuery<KeyRow>(Sql(Scope.Project, query.Bucket, """
            SELECT "KeyId", "EventType", "Outcome", CAST(SUM("Count") AS BIGINT) AS "Count",
                MAX(CASE WHEN "Outcome" = 'success' THEN "LastAt" END) AS "LastAt"
            FROM "@usage" WHERE "@scope" = {0} AND "@start" >= {1} AND "@start" < {2}
            GROUP BY "KeyId", "EventType", "Outcome"
            """, project.Id, from, to)).ToListAsync(ct);
        List<(Guid KeyId, Dictionary<string, OutcomeCounts> Operations, DateTime? LastUsed)> keys = [.. rows
            .GroupBy(r => r.KeyId)
            .Select(g => (g.Key, Count(g.Select(r => (r.EventType, r.Outcome, r.Count))), Utc(g.Max(r => r.LastAt))))
            .OrderByDescending(k => k.Item2.Values.Sum(c => c.Total)).ThenBy(k => k.Key)];
        List<Guid> listed = [.. keys.Take(MaxKeyLines).Select(k => k.KeyId)];
        IReadOnlyDictionary<Guid, (string Name, bool Deleted)> names = await KeyNamesAsync(db, project.Id, listed, ct);
        List<KeyUsageLine> lines = [.. keys.Take(MaxKeyLines).Select(k =>
        {
            (string name, bool deleted) = names.TryGetValue(k.KeyId, out var known) ? known : (k.KeyId.ToString(), true);
            return new KeyUsageLine(k.KeyId, name, deleted, k.Operations, k.LastUsed);
        })];
        return new ProjectUsageReport(project.Id, series, lines, keys.Count);
    }

    /// <summary>
    /// The dashboard's two lists: enabled keys older than <see cref="UnusedAfter"/> with no successful use in
    /// that time (candidates for disabling), and keys due for rotation (a schedule within
    /// <see cref="RotationDueWithin"/> or overdue, or no schedule and a current version older than
    /// <see cref="UnscheduledRotationAge"/>). Needs <c>read</c> on keys and on audit logs.
    /// </summary>
    public async Task<(IReadOnlyList<KeyAttention> Unused, IReadOnlyList<KeyAttention> RotationDue)> AttentionAsync(
        Actor actor, string projectId, CancellationToken ct)
    {
        DateTime now = clock.GetUtcNow().UtcDateTime;
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, ct, Permission.ReadAuditLogs, Permission.ReadKey);
        await writer.CountUsageAsync().WaitAsync(ct);
        DateTime cutoff = now - UnusedAfter;
        DateTime cutoffHour = UsageWindow.Floor(cutoff, UsageBucket.Hour);
        List<AttentionRow> unused = await db.Database.SqlQuery<AttentionRow>($"""
            SELECT k."Id" AS "KeyId", k."Name" AS "Name", k."CreatedAt" AS "CreatedAt",
                (SELECT MAX(u."LastAt") FROM "KeyUsageDays" u WHERE u."KeyId" = k."Id" AND u."Outcome" = 'success') AS "LastUsedAt"
            FROM "Keys" k
            WHERE k."ProjectId" = {project.Id} AND k."IsDisabled" = {false} AND k."CreatedAt" < {cutoff}
                AND NOT EXISTS (SELECT 1 FROM "KeyUsageHours" u
                    WHERE u."KeyId" = k."Id" AND u."HourStart" >= {cutoffHour} AND u."Outcome" = 'success')
            ORDER BY k."Name"
            LIMIT {MaxAttentionKeys}
            """).ToListAsync(ct);

        DateTime dueBy = now + RotationDueWithin;
        DateTime oldVersion = now - UnscheduledRotationAge;
        List<KmsKey> due = await db.Keys.AsNoTracking()
            .Where(k => k.ProjectId == project.Id && k.Usage != KeyUsage.SignVerify)
            .Where(k => (k.RotationEnabled && k.NextRotationAt != null && k.NextRotationAt <= dueBy)
                || (!k.RotationEnabled && (k.LastRotatedAt ?? k.CreatedAt) < oldVersion))
            .OrderBy(k => k.Name).Take(MaxAttentionKeys).ToListAsync(ct);

        return (
            [.. unused.Select(u => new KeyAttention(u.KeyId, u.Name, Utc(u.CreatedAt), Utc(u.LastUsedAt), null, null))],
            [.. due.Select(k => RotationAttention(k, now))]);
    }

    private static KeyAttention RotationAttention(KmsKey key, DateTime now)
    {
        if (key.RotationEnabled && key.NextRotationAt is { } next)
        {
            string reason = next <= now
                ? $"Scheduled rotation overdue since {Format(next)}" + (key.IsDisabled ? " (the key is disabled, so the scheduler skips it)" : "")
                : $"Scheduled rotation on {Format(next)}";
            return new KeyAttention(key.Id, key.Name, key.CreatedAt, null, next, reason);
        }

        DateTime since = key.LastRotatedAt ?? key.CreatedAt;
        int days = (int)(now - since).TotalDays;
        return new KeyAttention(key.Id, key.Name, key.CreatedAt, null, null,
            $"Version {key.Version} is {days.ToString(CultureInfo.InvariantCulture)} days old and no rotation is scheduled");
    }

    private static string Format(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>Buckets, totals, failure reasons and top actors of one key or one project over the window.</summary>
    private static async Task<UsageSeries> SeriesAsync(
        KmsDbContext db, Scope scope, Guid id, DateTime from, DateTime to, UsageBucket bucket, CancellationToken ct)
    {
        List<BucketRow> hours = await db.Database.SqlQuery<BucketRow>(Sql(scope, bucket, """
            SELECT "@start" AS "Start", "EventType", "Outcome", CAST(SUM("Count") AS BIGINT) AS "Count"
            FROM "@usage" WHERE "@scope" = {0} AND "@start" >= {1} AND "@start" < {2}
            GROUP BY "@start", "EventType", "Outcome"
            """, id, from, to)).ToListAsync(ct);
        List<FailureRow> failures = await db.Database.SqlQuery<FailureRow>(Sql(scope, bucket, """
            SELECT "Error", CAST(SUM("Count") AS BIGINT) AS "Count"
            FROM "@usage" WHERE "@scope" = {0} AND "@start" >= {1} AND "@start" < {2} AND "Outcome" = 'failure'
            GROUP BY "Error"
            """, id, from, to)).ToListAsync(ct);
        List<ActorRow> actors = await db.Database.SqlQuery<ActorRow>(Sql(scope, bucket, """
            SELECT "ActorType", "ActorId", MAX("ActorName") AS "ActorName",
                CAST(SUM("Count") AS BIGINT) AS "Count", CAST(SUM("FailureCount") AS BIGINT) AS "FailureCount", MAX("LastAt") AS "LastAt"
            FROM "@actors" WHERE "@scope" = {0} AND "@start" >= {1} AND "@start" < {2}
            GROUP BY "ActorType", "ActorKey", "ActorId"
            ORDER BY 4 DESC, 3
            LIMIT {3}
            """, id, from, to, MaxTopActors)).ToListAsync(ct);

        var buckets = new List<UsageBucketCounts>();
        ILookup<DateTime, BucketRow> byBucket = hours.ToLookup(h => Utc(h.Start));
        for (DateTime start = from; start < to; start = UsageWindow.Next(start, bucket))
        {
            buckets.Add(new UsageBucketCounts(start, Count(byBucket[start].Select(h => (h.EventType, h.Outcome, h.Count)))));
        }

        return new UsageSeries(from, to, bucket, buckets,
            Count(hours.Select(h => (h.EventType, h.Outcome, h.Count))),
            failures.Where(f => f.Count > 0).OrderByDescending(f => f.Count).ThenBy(f => f.Error, StringComparer.Ordinal)
                .ToDictionary(f => f.Error.Length == 0 ? "unknown" : f.Error, f => f.Count),
            [.. actors.Select(a => new UsageActor(a.ActorType, a.ActorId, a.ActorName, a.Count, a.FailureCount, Utc(a.LastAt)))]);
    }

    /// <summary>Counts per operation, in <see cref="KeyUsageOperations.All"/>'s order; operations with none are left out.</summary>
    private static Dictionary<string, OutcomeCounts> Count(IEnumerable<(string EventType, string Outcome, long Count)> rows)
    {
        var sums = new Dictionary<string, OutcomeCounts>(StringComparer.Ordinal);
        foreach ((string eventType, string outcome, long count) in rows)
        {
            if (KeyUsageOperations.OfEventType(eventType) is not { } operation)
            {
                continue;
            }

            OutcomeCounts add = outcome == "success" ? new(count, 0) : new(0, count);
            sums[operation] = sums.GetValueOrDefault(operation) + add;
        }

        return KeyUsageOperations.Names.Where(sums.ContainsKey).ToDictionary(n => n, n => sums[n], StringComparer.Ordinal);
    }

    /// <summary>The names of <paramref name="keyIds"/>: current for keys that exist, and as recorded at deletion for the others.</summary>
    internal static async Task<IReadOnlyDictionary<Guid, (string Name, bool Deleted)>> KeyNamesAsync(
        KmsDbContext db, Guid projectId, IReadOnlyCollection<Guid> keyIds, CancellationToken ct)
    {
        var names = new Dictionary<Guid, (string, bool)>();
        if (keyIds.Count == 0)
        {
            return names;
        }

        foreach (var key in await db.Keys.AsNoTracking().Where(k => keyIds.Contains(k.Id)).Select(k => new { k.Id, k.Name }).ToListAsync(ct))
        {
            names[key.Id] = (key.Name, false);
        }

        List<Guid> missing = [.. keyIds.Where(id => !names.ContainsKey(id))];
        foreach ((Guid id, string name) in await AuditLogService.DeletedKeyNamesAsync(db, projectId, missing, ct))
        {
            names[id] = (name, true);
        }

        return names;
    }

    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    private static DateTime? Utc(DateTime? value) => value is { } v ? Utc(v) : null;

    /// <summary>
    /// A query over one key's or one project's counts by hour or by day: <c>"@scope"</c>, <c>"@usage"</c>,
    /// <c>"@actors"</c> and <c>"@start"</c> name a column or a table, never a value. A window by day is whole days
    /// (<see cref="UsageWindow.Resolve"/>), so it reads the daily tables alone: some 24 times fewer rows.
    /// </summary>
    private static FormattableString Sql(Scope scope, UsageBucket bucket, string format, params object[] arguments)
    {
        bool days = bucket == UsageBucket.Day;
        string sql = format
            .Replace("@scope", scope == Scope.Key ? "KeyId" : "ProjectId", StringComparison.Ordinal)
            .Replace("@usage", days ? "KeyUsageDays" : "KeyUsageHours", StringComparison.Ordinal)
            .Replace("@actors", days ? "KeyUsageActorDays" : "KeyUsageActorHours", StringComparison.Ordinal)
            .Replace("@start", days ? "DayStart" : "HourStart", StringComparison.Ordinal);
        return FormattableStringFactory.Create(sql, arguments);
    }

    private enum Scope
    {
        Key,
        Project,
    }

    private sealed class BucketRow
    {
        public DateTime Start { get; set; }

        public string EventType { get; set; } = "";

        public string Outcome { get; set; } = "";

        public long Count { get; set; }
    }

    private sealed class FailureRow
    {
        public string Error { get; set; } = "";

        public long Count { get; set; }
    }

    private sealed class ActorRow
    {
        public string ActorType { get; set; } = "";

        public Guid? ActorId { get; set; }

        public string ActorName { get; set; } = "";

        public long Count { get; set; }

        public long FailureCount { get; set; }

        public DateTime LastAt { get; set; }
    }

    private sealed class KeyRow
    {
        public Guid KeyId { get; set; }

        public string EventType { get; set; } = "";

        public string Outcome { get; set; } = "";

        public long Count { get; set; }

        public DateTime? LastAt { get; set; }
    }

    private sealed class AttentionRow
    {
        public Guid KeyId { get; set; }

        public string Name { get; set; } = "";

        public DateTime CreatedAt { get; set; }

        public DateTime? LastUsedAt { get; set; }
    }
}
