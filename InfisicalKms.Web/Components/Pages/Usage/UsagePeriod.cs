using System.Globalization;
using InfisicalKms.Core.Usage;

namespace InfisicalKms.Web.Components.Pages.Usage;

/// <summary>The windows the usage pages offer: the last day by hour, the last week or month by day.</summary>
public enum UsagePeriod
{
    Last24Hours,
    Last7Days,
    Last30Days,
}

/// <summary>What each <see cref="UsagePeriod"/> asks Core for, and how the usage pages write times and counts.</summary>
public static class UsagePeriods
{
    public static readonly IReadOnlyList<UsagePeriod> All = [UsagePeriod.Last24Hours, UsagePeriod.Last7Days, UsagePeriod.Last30Days];

    /// <summary>The suffix of the toggle button's id (<c>usage-window-24h</c>) and its label.</summary>
    public static string Name(UsagePeriod period) => period switch
    {
        UsagePeriod.Last24Hours => "24h",
        UsagePeriod.Last7Days => "7d",
        _ => "30d",
    };

    /// <summary>
    /// The query of a window that ends with the bucket holding <paramref name="now"/>: 24 hours, or 7 or 30 whole
    /// UTC days including today (Core's default windows cover the first and the last).
    /// </summary>
    public static UsageQuery Query(UsagePeriod period, DateTime now) => period switch
    {
        UsagePeriod.Last24Hours => new UsageQuery(Bucket: UsageBucket.Hour),
        UsagePeriod.Last7Days => new UsageQuery(From: UsageWindow.Ceiling(now, UsageBucket.Day).AddDays(-7), Bucket: UsageBucket.Day),
        _ => new UsageQuery(Bucket: UsageBucket.Day),
    };

    /// <summary>A bucket's start as the accessible tables write it: the hour or the day, UTC.</summary>
    public static string BucketStart(DateTime start, UsageBucket bucket) =>
        start.ToString(bucket == UsageBucket.Hour ? "yyyy-MM-dd HH:mm" : "yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A moment to the minute, UTC, or <paramref name="none"/>.</summary>
    public static string Time(DateTime? utc, string none = "Never") =>
        utc is not null ? TableTime(utc) + " UTC" : none;

    /// <summary>A moment to the minute in a table whose header already says UTC, or <paramref name="none"/>.</summary>
    public static string TableTime(DateTime? utc, string none = "Never") =>
        utc is { } t ? t.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : none;

    public static string Count(long count) => count.ToString(CultureInfo.InvariantCulture);

    /// <summary>What a window covers, in words: "UTC hours from 2026-12-06 09:00 to 2026-12-07 09:00".</summary>
    public static string Window(UsageSeries series) =>
        $"UTC {(series.Bucket == UsageBucket.Hour ? "hours" : "days")} from {BucketStart(series.From, series.Bucket)} to {BucketStart(series.To, series.Bucket)}";
}
