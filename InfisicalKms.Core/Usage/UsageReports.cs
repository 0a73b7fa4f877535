namespace InfisicalKms.Core.Usage;

/// <summary>How a usage report groups time: UTC hours or UTC days.</summary>
public enum UsageBucket
{
    Hour,
    Day,
}

/// <summary>
/// The window of a usage report as asked: <c>null</c> ends now and starts 24 hours (hourly buckets) or 30 days
/// (daily buckets) before the end. <see cref="UsageWindow.Resolve"/> aligns it to whole buckets.
/// </summary>
public sealed record UsageQuery(DateTime? From = null, DateTime? To = null, UsageBucket Bucket = UsageBucket.Hour);

/// <summary>Successes and failures of one operation, or of all together.</summary>
public readonly record struct OutcomeCounts(long Success, long Failure)
{
    public long Total => Success + Failure;

    public static OutcomeCounts operator +(OutcomeCounts a, OutcomeCounts b) => new(a.Success + b.Success, a.Failure + b.Failure);
}

/// <summary>One time bucket: its start (UTC) and the counts of each operation used in it (operations with none are left out).</summary>
public sealed record UsageBucketCounts(DateTime Start, IReadOnlyDictionary<string, OutcomeCounts> Operations)
{
    public OutcomeCounts Total => Operations.Values.Aggregate(default(OutcomeCounts), (sum, c) => sum + c);
}

/// <summary>Someone who used the key (or the project's keys) in the window.</summary>
/// <param name="Type">The audit actor type: <c>identity</c>, <c>user</c>, <c>kmip-client</c> or <c>system</c>.</param>
/// <param name="Name">The name recorded with their newest operation in the window.</param>
public sealed record UsageActor(string Type, Guid? Id, string Name, long Count, long FailureCount, DateTime LastAt);

/// <summary>The parts every usage report has: window, buckets, totals, failure reasons and top actors.</summary>
/// <param name="From">The window's start, inclusive, aligned to its bucket.</param>
/// <param name="To">The window's end, exclusive, aligned to its bucket.</param>
/// <param name="Buckets">Every bucket of the window in order, empty ones included.</param>
/// <param name="Operations">Totals per operation over the window.</param>
/// <param name="Failures">Failed operations by error class (<c>PermissionDenied</c>, <c>BadRequest</c>, ...).</param>
public sealed record UsageSeries(
    DateTime From,
    DateTime To,
    UsageBucket Bucket,
    IReadOnlyList<UsageBucketCounts> Buckets,
    IReadOnlyDictionary<string, OutcomeCounts> Operations,
    IReadOnlyDictionary<string, long> Failures,
    IReadOnlyList<UsageActor> TopActors)
{
    public OutcomeCounts Total => Operations.Values.Aggregate(default(OutcomeCounts), (sum, c) => sum + c);
}

/// <summary>One key's usage: <see cref="LastUsedAt"/> is its newest successful use ever, not only in the window.</summary>
public sealed record KeyUsageReport(Guid KeyId, Guid ProjectId, string KeyName, UsageSeries Usage, DateTime? LastUsedAt);

/// <summary>One key's line in a project report: its totals over the window.</summary>
/// <param name="Name">The key's name, or for a deleted key the name it had (<see cref="Deleted"/>).</param>
/// <param name="LastUsedAt">Its newest successful use in the window.</param>
public sealed record KeyUsageLine(Guid KeyId, string Name, bool Deleted, IReadOnlyDictionary<string, OutcomeCounts> Operations, DateTime? LastUsedAt)
{
    public OutcomeCounts Total => Operations.Values.Aggregate(default(OutcomeCounts), (sum, c) => sum + c);
}

/// <summary>A project's usage: the series over all its keys, and its busiest keys.</summary>
/// <param name="Keys">The <see cref="KeyUsageService.MaxKeyLines"/> busiest keys of the window, busiest first.</param>
/// <param name="KeysUsed">How many keys were used in the window (<see cref="Keys"/> may list fewer).</param>
public sealed record ProjectUsageReport(Guid ProjectId, UsageSeries Usage, IReadOnlyList<KeyUsageLine> Keys, int KeysUsed);

/// <summary>A key the dashboard points at: unused for a while, or due for rotation.</summary>
/// <param name="LastUsedAt">Its newest successful use, null if never.</param>
/// <param name="Reason">For keys due for rotation: why, in words.</param>
public sealed record KeyAttention(Guid KeyId, string Name, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? DueAt, string? Reason);
