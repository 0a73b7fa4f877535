using System.Globalization;
using System.Text;
using InfisicalKms.Core.Audit;

namespace InfisicalKms.Core.Usage;

/// <summary>
/// SQLite's audit writer's own running count of the usage it has left pending since its last count: the rows of
/// <c>KeyUsagePendingGroups</c> its committed batches would give, kept as they are committed, so that a count
/// need not read those records back (<see cref="KeyUsageBatchCounts"/>). Only the writer's thread uses it.
/// </summary>
/// <remarks>
/// <para>
/// A group is what the count statement groups by: key, hour, event type, outcome, error class, actor. Each value
/// is built as SQLite builds it from the stored record: the hour is the stored time's first 13 characters
/// (<c>yyyy-MM-dd HH</c>) and <c>:00:00</c>, the error class is the metadata's <c>error</c> on a failure, the actor
/// key is the actor's ID as stored (upper-case text) or <c>name:</c> and its name. The project, the actor's ID and
/// its name are the newest record's (<c>KeyUsageCountsTests</c> and <c>KeyUsagePendingTests</c> compare the
/// outcome with the triggers and the migration's backfill).
/// </para>
/// <para>
/// The tally is a shortcut, never the only record: each batch's range stays in <c>KeyUsagePending</c> until a
/// count has committed. A range the tally does not hold (a crash, a connection dropped with its tally, another
/// process's writer) is counted from its records instead. The tally is kept per range, and a count takes only
/// the ranges still pending: another writer on the same file (a second process) counts every range it finds,
/// this one's included, and a range it has counted is gone.
/// </para>
/// </remarks>
internal sealed class KeyUsageTally
{
    private readonly Dictionary<long, Dictionary<GroupKey, Group>> _ranges = [];   // by the range's After
    private readonly List<(long After, IReadOnlyList<AuditEvent> Records)> _ungrouped = [];   // committed, not yet in _ranges
    private (long After, IReadOnlyList<AuditEvent> Records)? _staged;
    private RoundGroups? _round;   // the round being counted, merged

    /// <summary>
    /// The groups of the tallied ranges among <paramref name="ranges"/> (the round's ranges still pending), merged
    /// and ordered by key as SQLite orders the stored keys, and those ranges as a JSON array for <c>json_each</c>.
    /// Kept for the round's later slices: a round is known by its last range, and its ranges are not counted
    /// elsewhere until the round has finished.
    /// </summary>
    public RoundGroups Round(long last, IReadOnlyCollection<long> ranges)
    {
        GroupCommitted();
        if (_round is { } round && round.Last == last)
        {
            return round;
        }

        var merged = new Dictionary<GroupKey, Group>();
        var tallied = new StringBuilder("[");
        foreach (long after in ranges)
        {
            if (!_ranges.TryGetValue(after, out Dictionary<GroupKey, Group>? groups))
            {
                continue;
            }

            tallied.Append(tallied.Length > 1 ? "," : "").Append(after.ToString(CultureInfo.InvariantCulture));
            foreach ((GroupKey key, Group group) in groups)
            {
                if (merged.TryGetValue(key, out Group? sum))
                {
                    sum.Add(group);
                }
                else
                {
                    merged[key] = group.Copy();
                }
            }
        }

        RoundGroup[] ordered = [.. merged.Select(g => new RoundGroup(StoredKey(g.Key.KeyId), g.Key, g.Value))];
        Array.Sort(ordered, (a, b) => string.CompareOrdinal(a.StoredKey, b.StoredKey));
        _round = new RoundGroups(last, tallied.Append(']').ToString(), ordered);
        return _round;
    }

    /// <summary>A key as the database stores it and orders it: upper-case text, compared byte by byte.</summary>
    public static string StoredKey(Guid keyId) => keyId.ToString().ToUpperInvariant();

    /// <summary>Drops the tallied ranges that are no longer pending: a round that has finished (this writer's, or another's on the same file) counted them.</summary>
    public void Forget(IReadOnlySet<long> pending)
    {
        foreach (long after in _ranges.Keys.Where(a => !pending.Contains(a)).ToList())
        {
            _ranges.Remove(after);
        }
    }

    /// <summary>A batch written into the open transaction, whose range starts after <paramref name="after"/>; held until its commit.</summary>
    public void Stage(long after, IReadOnlyList<AuditEvent> records) => _staged = (after, records);

    /// <summary>
    /// The staged batch was committed: its usage joins the tally. Its records are grouped later, by
    /// <see cref="GroupCommitted"/>, so that the batch's callers need not wait for that.
    /// </summary>
    public void Committed()
    {
        if (_staged is { } staged)
        {
            _ungrouped.Add(staged);
            _staged = null;
        }
    }

    /// <summary>Groups the records of the batches committed since the last call (the writer calls it once their callers are answered).</summary>
    public void GroupCommitted()
    {
        foreach ((long after, IReadOnlyList<AuditEvent> records) in _ungrouped)
        {
            _ranges[after] = GroupsOf(records);
        }

        _ungrouped.Clear();
    }

    private static Dictionary<GroupKey, Group> GroupsOf(IReadOnlyList<AuditEvent> records)
    {
        var groups = new Dictionary<GroupKey, Group>();
        foreach (AuditEvent record in records)
        {
            if (record is not { KeyId: Guid keyId, ProjectId: Guid projectId } || KeyUsageOperations.OfEventType(record.EventType) is null)
            {
                continue;
            }

            var key = new GroupKey(
                keyId,
                record.CreatedAt.ToString("yyyy'-'MM'-'dd' 'HH", CultureInfo.InvariantCulture) + ":00:00",
                record.EventType,
                record.Outcome,
                record.Outcome == "failure" ? record.Metadata.GetValueOrDefault("error") ?? "" : "",
                record.ActorType,
                record.ActorId is Guid actorId ? actorId.ToString().ToUpperInvariant() : "name:" + record.ActorName);
            var one = new Group(projectId, record.ActorId, record.ActorName, 1, record.CreatedAt);
            if (groups.TryGetValue(key, out Group? group))
            {
                group.Add(one);
            }
            else
            {
                groups[key] = one;
            }
        }

        return groups;
    }

    /// <summary>The staged batch was rolled back (a probe) or failed.</summary>
    public void Discard() => _staged = null;

    /// <summary>One group of a round, with its key as stored.</summary>
    internal readonly record struct RoundGroup(string StoredKey, GroupKey Key, Group Group);

    /// <summary>A round's tallied groups in key order, and the ranges they came from (JSON).</summary>
    internal sealed record RoundGroups(long Last, string Tallied, RoundGroup[] Groups);

    internal readonly record struct GroupKey(Guid KeyId, string HourStart, string EventType, string Outcome, string Error, string ActorType, string ActorKey);

    internal sealed class Group(Guid projectId, Guid? actorId, string actorName, long count, DateTime lastAt)
    {
        public Guid ProjectId { get; set; } = projectId;

        public Guid? ActorId { get; set; } = actorId;

        public string ActorName { get; set; } = actorName;

        public long Count { get; set; } = count;

        public DateTime LastAt { get; set; } = lastAt;

        public Group Copy() => new(ProjectId, ActorId, ActorName, Count, LastAt);

        /// <summary>Adds <paramref name="other"/>'s records; the project and actor become the newer group's, as the count statement's bare columns do.</summary>
        public void Add(Group other)
        {
            Count += other.Count;
            if (other.LastAt >= LastAt)
            {
                (ProjectId, ActorId, ActorName, LastAt) = (other.ProjectId, other.ActorId, other.ActorName, other.LastAt);
            }
        }
    }
}
