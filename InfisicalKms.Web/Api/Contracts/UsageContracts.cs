using System.ComponentModel.DataAnnotations;
using InfisicalKms.Core.Usage;

namespace InfisicalKms.Web.Api.Contracts;

/// <summary>Successes and failures of one operation, one bucket or the whole window.</summary>
public sealed record OutcomeCountsDto(long Success, long Failure)
{
    public static OutcomeCountsDto From(OutcomeCounts c) => new(c.Success, c.Failure);

    public static IReadOnlyDictionary<string, OutcomeCountsDto> From(IReadOnlyDictionary<string, OutcomeCounts> operations) =>
        operations.ToDictionary(o => o.Key, o => From(o.Value), StringComparer.Ordinal);
}

/// <summary>One time bucket: its start and its counts, per operation (operations with none are left out).</summary>
public sealed record UsageBucketDto(string Start, OutcomeCountsDto Total, IReadOnlyDictionary<string, OutcomeCountsDto> Operations);

/// <summary>One of the busiest callers of the window.</summary>
public sealed record UsageActorDto(string Type, string? Id, string Name, long Count, long FailureCount, string LastAt);

/// <summary>A key's usage (extension <c>GET /api/v1/kms/keys/{keyId}/usage</c>).</summary>
public sealed record KeyUsageDto(
    string KeyId, string KeyName, string ProjectId, string From, string To, string Bucket, OutcomeCountsDto Total,
    IReadOnlyDictionary<string, OutcomeCountsDto> Operations, IReadOnlyDictionary<string, long> Failures,
    IReadOnlyList<UsageBucketDto> Buckets, IReadOnlyList<UsageActorDto> TopActors, string? LastUsedAt)
{
    public static KeyUsageDto Of(KeyUsageReport r) => new(
        r.KeyId.ToString(), r.KeyName, r.ProjectId.ToString(), ApiJson.Timestamp(r.Usage.From), ApiJson.Timestamp(r.Usage.To),
        UsageWindow.BucketNames.Name(r.Usage.Bucket), OutcomeCountsDto.From(r.Usage.Total), OutcomeCountsDto.From(r.Usage.Operations),
        r.Usage.Failures, BucketsOf(r.Usage), ActorsOf(r.Usage), ApiJson.Timestamp(r.LastUsedAt));

    internal static IReadOnlyList<UsageBucketDto> BucketsOf(UsageSeries s) =>
        [.. s.Buckets.Select(b => new UsageBucketDto(ApiJson.Timestamp(b.Start), OutcomeCountsDto.From(b.Total), OutcomeCountsDto.From(b.Operations)))];

    internal static IReadOnlyList<UsageActorDto> ActorsOf(UsageSeries s) =>
        [.. s.TopActors.Select(a => new UsageActorDto(a.Type, a.Id?.ToString(), a.Name, a.Count, a.FailureCount, ApiJson.Timestamp(a.LastAt)))];
}

public sealed record KeyUsageResponse(KeyUsageDto Usage);

/// <summary>One key's totals in a project's usage; a deleted key keeps the name it had.</summary>
public sealed record KeyUsageLineDto(
    string KeyId, string Name, bool Deleted, OutcomeCountsDto Total, IReadOnlyDictionary<string, OutcomeCountsDto> Operations, string? LastUsedAt);

/// <summary>A project's usage (extension <c>GET /api/v1/projects/{projectId}/usage</c>).</summary>
public sealed record ProjectUsageDto(
    string ProjectId, string From, string To, string Bucket, OutcomeCountsDto Total,
    IReadOnlyDictionary<string, OutcomeCountsDto> Operations, IReadOnlyDictionary<string, long> Failures,
    IReadOnlyList<UsageBucketDto> Buckets, IReadOnlyList<UsageActorDto> TopActors, IReadOnlyList<KeyUsageLineDto> Keys, int KeysUsed)
{
    public static ProjectUsageDto Of(ProjectUsageReport r) => new(
        r.ProjectId.ToString(), ApiJson.Timestamp(r.Usage.From), ApiJson.Timestamp(r.Usage.To), UsageWindow.BucketNames.Name(r.Usage.Bucket),
        OutcomeCountsDto.From(r.Usage.Total), OutcomeCountsDto.From(r.Usage.Operations), r.Usage.Failures,
        KeyUsageDto.BucketsOf(r.Usage), KeyUsageDto.ActorsOf(r.Usage),
        [.. r.Keys.Select(k => new KeyUsageLineDto(k.KeyId.ToString(), k.Name, k.Deleted, OutcomeCountsDto.From(k.Total),
            OutcomeCountsDto.From(k.Operations), ApiJson.Timestamp(k.LastUsedAt)))],
        r.KeysUsed);
}

public sealed record ProjectUsageResponse(ProjectUsageDto Usage);

/// <summary>The usage routes' query parameters: RFC 3339 date-times, and <c>hour</c> or <c>day</c>.</summary>
public sealed record UsageQueryParameters(DateTimeOffset? From, DateTimeOffset? To, [property: AllowedValues("hour", "day")] string? Bucket);
