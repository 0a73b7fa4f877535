using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Usage;

namespace InfisicalKms.Tests.Core.Usage;

/// <summary>How a usage query becomes whole UTC buckets (<see cref="UsageWindow"/>): alignment, defaults and limits.</summary>
public sealed class UsageWindowTests
{
    private static readonly DateTime Now = Utc("2031-03-04T05:06:07.890");

    [Theory]
    [InlineData("2031-03-04T05:06:07.890", "2031-03-04T05:00:00", "2031-03-04T00:00:00")]
    [InlineData("2031-03-04T05:00:00", "2031-03-04T05:00:00", "2031-03-04T00:00:00")]
    [InlineData("2031-12-31T23:59:59.9999999", "2031-12-31T23:00:00", "2031-12-31T00:00:00")]
    [InlineData("2032-01-01T00:00:00", "2032-01-01T00:00:00", "2032-01-01T00:00:00")]
    [InlineData("2032-02-29T00:59:59.999", "2032-02-29T00:00:00", "2032-02-29T00:00:00")]
    public void Floor_IsTheStartOfTheUtcHourOrDay(string time, string hour, string day)
    {
        Assert.Equal(Utc(hour), UsageWindow.Floor(Utc(time), UsageBucket.Hour));
        Assert.Equal(Utc(day), UsageWindow.Floor(Utc(time), UsageBucket.Day));
        Assert.Equal(DateTimeKind.Utc, UsageWindow.Floor(Utc(time), UsageBucket.Day).Kind);
    }

    [Theory]
    [InlineData("2031-03-04T05:06:07.890", "2031-03-04T06:00:00", "2031-03-05T00:00:00")]
    [InlineData("2031-03-04T05:00:00", "2031-03-04T05:00:00", "2031-03-05T00:00:00")]
    [InlineData("2031-03-04T00:00:00", "2031-03-04T00:00:00", "2031-03-04T00:00:00")]
    [InlineData("2031-12-31T23:00:00.0000001", "2032-01-01T00:00:00", "2032-01-01T00:00:00")]
    public void Ceiling_IsTheTimeItselfOnABoundary_ElseTheNextBucketsStart(string time, string hour, string day)
    {
        Assert.Equal(Utc(hour), UsageWindow.Ceiling(Utc(time), UsageBucket.Hour));
        Assert.Equal(Utc(day), UsageWindow.Ceiling(Utc(time), UsageBucket.Day));
    }

    [Fact]
    public void Resolve_NoWindow_Is24HoursOr30DaysEndingWithTheBucketHoldingNow()
    {
        Assert.Equal((Utc("2031-03-03T06:00:00"), Utc("2031-03-04T06:00:00")), UsageWindow.Resolve(new UsageQuery(), Now));
        Assert.Equal((Utc("2031-02-03T00:00:00"), Utc("2031-03-05T00:00:00")), UsageWindow.Resolve(new UsageQuery(Bucket: UsageBucket.Day), Now));
    }

    [Fact]
    public void Resolve_NowOnABoundary_StillHoldsTheBucketNowIsIn()
    {
        DateTime midnight = Utc("2031-03-04T00:00:00");

        Assert.Equal((Utc("2031-03-03T01:00:00"), Utc("2031-03-04T01:00:00")), UsageWindow.Resolve(new UsageQuery(), midnight));
        Assert.Equal((Utc("2031-02-03T00:00:00"), Utc("2031-03-05T00:00:00")), UsageWindow.Resolve(new UsageQuery(Bucket: UsageBucket.Day), midnight));
    }

    [Fact]
    public void Resolve_OnlyOneEnd_TheOtherIsNowOrTheDefaultLength()
    {
        Assert.Equal((Utc("2031-03-04T01:00:00"), Utc("2031-03-04T06:00:00")),
            UsageWindow.Resolve(new UsageQuery(From: Utc("2031-03-04T01:59:00")), Now));
        Assert.Equal((Utc("2031-02-28T01:00:00"), Utc("2031-03-01T01:00:00")),
            UsageWindow.Resolve(new UsageQuery(To: Utc("2031-03-01T00:00:01")), Now));
        Assert.Equal((Utc("2030-12-02T00:00:00"), Utc("2031-01-01T00:00:00")),
            UsageWindow.Resolve(new UsageQuery(To: Utc("2031-01-01T00:00:00"), Bucket: UsageBucket.Day), Now));
    }

    [Fact]
    public void Resolve_ExplicitWindow_IsAlignedOutward()
    {
        Assert.Equal((Utc("2031-03-01T10:00:00"), Utc("2031-03-01T11:00:00")),
            UsageWindow.Resolve(new UsageQuery(Utc("2031-03-01T10:10:00"), Utc("2031-03-01T10:20:00")), Now));
        Assert.Equal((Utc("2031-02-28T00:00:00"), Utc("2031-03-02T00:00:00")),
            UsageWindow.Resolve(new UsageQuery(Utc("2031-02-28T23:59:59.999"), Utc("2031-03-01T00:00:00.001"), UsageBucket.Day), Now));
    }

    [Theory]
    [InlineData("2031-03-01T10:00:00", "2031-03-01T10:00:00")]
    [InlineData("2031-03-01T10:00:00", "2031-03-01T09:59:59.999")]
    [InlineData("2031-03-04T07:00:00", null)]   // from after now, to left out
    public void Resolve_EndNotAfterStart_IsRefusedOnTo(string from, string? to)
    {
        var e = Assert.Throws<KmsValidationException>(() => UsageWindow.Resolve(new UsageQuery(Utc(from), to is null ? null : Utc(to)), Now));

        Assert.Equal([new ValidationIssue("to", "to must be after from")], e.Issues);
    }

    [Fact]
    public void Resolve_AtMost2000Buckets()
    {
        DateTime from = Utc("2031-01-01T00:00:00");

        Assert.Equal(KeyUsageService.MaxBuckets, (int)UsageWindow.Resolve(new UsageQuery(from, from.AddHours(2000)), Now).To.Subtract(from).TotalHours);
        Assert.Equal(from.AddDays(2000), UsageWindow.Resolve(new UsageQuery(from, from.AddDays(2000), UsageBucket.Day), Now).To);
        var hours = Assert.Throws<KmsValidationException>(() => UsageWindow.Resolve(new UsageQuery(from, from.AddHours(2000).AddTicks(1)), Now));
        var days = Assert.Throws<KmsValidationException>(() => UsageWindow.Resolve(new UsageQuery(from, from.AddDays(2001), UsageBucket.Day), Now));

        Assert.Equal("from: The window holds 2001 hourly buckets; at most 2000 are returned: narrow the window or use bucket=day", hours.Message);
        Assert.Equal("from: The window holds 2001 daily buckets; at most 2000 are returned: narrow the window", days.Message);
    }

    private static DateTime Utc(string text) => DateTime.SpecifyKind(DateTime.Parse(text, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);
}
