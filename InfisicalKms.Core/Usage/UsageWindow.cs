using System.Globalization;
using InfisicalKms.Core.Errors;

namespace InfisicalKms.Core.Usage;

/// <summary>Turns an asked window into whole UTC buckets, and refuses one that is empty or too long.</summary>
public static class UsageWindow
{
    /// <summary>The <c>bucket</c> query values.</summary>
    public static readonly WireNames<UsageBucket> BucketNames = new((UsageBucket.Hour, "hour"), (UsageBucket.Day, "day"));

    /// <summary>
    /// The start (floored to its bucket) and end (rounded up to its bucket) of <paramref name="query"/>'s window.
    /// Without an end the window ends with the bucket holding <paramref name="now"/>; without a start it
    /// begins 24 buckets (hours) or 30 buckets (days) before its end.
    /// </summary>
    /// <exception cref="KmsValidationException">The end is not after the start, or the window holds more than <see cref="KeyUsageService.MaxBuckets"/> buckets.</exception>
    public static (DateTime From, DateTime To) Resolve(UsageQuery query, DateTime now)
    {
        UsageBucket bucket = query.Bucket;
        // Without an end, the window ends after the bucket holding now: when now is exactly a bucket's start,
        // rounding it up would leave out the bucket the newest records are counted in.
        DateTime to = query.To is { } end ? Ceiling(end, bucket) : Next(Floor(now, bucket), bucket);
        if (query.From is { } askedFrom && query.To is { } askedTo && askedTo <= askedFrom)
        {
            throw new KmsValidationException("to", "to must be after from");
        }

        DateTime from = query.From is { } start ? Floor(start, bucket) : bucket == UsageBucket.Hour ? to.AddHours(-24) : to.AddDays(-30);
        if (to <= from)
        {
            throw new KmsValidationException("to", "to must be after from");
        }

        double count = bucket == UsageBucket.Hour ? (to - from).TotalHours : (to - from).TotalDays;
        if (count > KeyUsageService.MaxBuckets)
        {
            throw new KmsValidationException("from", string.Create(CultureInfo.InvariantCulture,
                $"The window holds {count:0} {(bucket == UsageBucket.Hour ? "hourly" : "daily")} buckets; at most {KeyUsageService.MaxBuckets} are returned: narrow the window{(bucket == UsageBucket.Hour ? " or use bucket=day" : "")}"));
        }

        return (from, to);
    }

    /// <summary>The start of the bucket holding <paramref name="time"/> (UTC).</summary>
    public static DateTime Floor(DateTime time, UsageBucket bucket)
    {
        DateTime utc = DateTime.SpecifyKind(time, DateTimeKind.Utc);
        return bucket == UsageBucket.Hour
            ? new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, DateTimeKind.Utc)
            : new DateTime(utc.Year, utc.Month, utc.Day, 0, 0, 0, DateTimeKind.Utc);
    }

    /// <summary><paramref name="time"/> itself when it starts a bucket, else the start of the next bucket.</summary>
    public static DateTime Ceiling(DateTime time, UsageBucket bucket)
    {
        DateTime floor = Floor(time, bucket);
        return floor == DateTime.SpecifyKind(time, DateTimeKind.Utc) ? floor : Next(floor, bucket);
    }

    public static DateTime Next(DateTime start, UsageBucket bucket) => bucket == UsageBucket.Hour ? start.AddHours(1) : start.AddDays(1);
}
