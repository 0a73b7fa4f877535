using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Bunit;
using InfisicalKms.Core.Usage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Usage;
using Microsoft.AspNetCore.Components;

namespace InfisicalKms.Tests.Web.Components.Pages.Usage;

/// <summary>
/// The usage charts and tables on their own, fed with series as Core builds them: what a person reads in the
/// accessible tables, the series the chart plots, and the empty states.
/// </summary>
public sealed class UsageComponentTests : BunitContext, IAsyncLifetime
{
    private static readonly DateTime From = new(2026, 12, 6, 9, 0, 0, DateTimeKind.Utc);

    public UsageComponentTests()
    {
        this.AddMudTestServices();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await base.DisposeAsync();

    [Fact]
    public void Chart_WithOperations_PlotsOneSeriesPerOperationAndFailuresApart()
    {
        UsageSeries series = Hourly(
            (2, new() { ["encrypt"] = new(5, 0), ["decrypt"] = new(3, 2) }),
            (5, new() { ["encrypt"] = new(1, 1) }));

        IRenderedComponent<UsageChart> chart = Render<UsageChart>(p => p
            .Add(x => x.Series, series).Add(x => x.IdPrefix, "key-usage").Add(x => x.Title, "Operations"));

        MudBlazor.MudChart<double> mud = chart.FindComponent<MudBlazor.MudChart<double>>().Instance;
        Assert.Equal(MudBlazor.ChartType.StackedBar, mud.ChartType);
        Assert.Equal(["encrypt", "decrypt", "encrypt (failed)", "decrypt (failed)"], mud.ChartSeries.Select(s => s.Name));
        Assert.Equal(24, mud.ChartSeries[0].Data.Count);
        Assert.Equal([5.0, 1.0], mud.ChartSeries[0].Data.Values.Where(v => v > 0));
        Assert.Equal([1.0], mud.ChartSeries[2].Data.Values.Where(v => v > 0));

        // Failures carry the theme's error colours, the others never: each follows the light or dark palette.
        string[] palette = ((MudBlazor.StackedBarChartOptions)mud.ChartOptions!).ChartPalette;
        Assert.All(palette[2..], c => Assert.StartsWith("var(--mud-palette-error", c, StringComparison.Ordinal));
        Assert.All(palette[..2], c => Assert.DoesNotContain("error", c, StringComparison.Ordinal));
        Assert.All(palette, c => Assert.StartsWith("var(--mud-palette-", c, StringComparison.Ordinal));

        // Readable x-axis: at most 8 labels, hours as HH:mm.
        Assert.Equal(["09:00", "12:00", "15:00", "18:00", "21:00", "00:00", "03:00", "06:00"], mud.ChartLabels.Where(l => l.Length > 0));
        Assert.NotNull(chart.Find("#key-usage-chart[role=img]").GetAttribute("aria-label"));
        Assert.Empty(chart.FindAll("#key-usage-empty"));
    }

    [Fact]
    public void Table_ListsBucketsWithOperationsAndTheWindowTotals()
    {
        UsageSeries series = Hourly(
            (2, new() { ["encrypt"] = new(5, 0), ["decrypt"] = new(3, 2) }),
            (5, new() { ["encrypt"] = new(1, 1) }));

        IRenderedComponent<UsageChart> chart = Render<UsageChart>(p => p
            .Add(x => x.Series, series).Add(x => x.IdPrefix, "key-usage").Add(x => x.Title, "Operations"));

        IElement table = chart.Find("table#key-usage-table");
        Assert.Contains("2026-12-06 09:00 to 2026-12-07 09:00", Text(table.QuerySelector("caption")!), StringComparison.Ordinal);
        Assert.Equal(["Hour (UTC)", "encrypt", "decrypt", "encrypt (failed)", "decrypt (failed)", "Successes", "Failures", "Total"],
            table.QuerySelectorAll("thead th").Select(Text));
        Assert.Equal(
            [
                ["2026-12-06 11:00", "5", "3", "0", "2", "8", "2", "10"],
                ["2026-12-06 14:00", "1", "0", "1", "0", "1", "1", "2"],
            ],
            table.QuerySelectorAll("tbody tr").Select(r => r.Children.Select(Text).ToList()));
        Assert.Equal(["Total", "6", "3", "1", "2", "9", "3", "12"], table.QuerySelectorAll("tfoot tr > *").Select(Text));
        Assert.Equal("12", Text(chart.Find("#key-usage-total")));
        Assert.Equal("3", Text(chart.Find("#key-usage-failures")));
    }

    [Fact]
    public void Chart_DailyWindow_LabelsDaysAsMonthAndDay()
    {
        var days = Enumerable.Range(0, 7).Select(i => new UsageBucketCounts(From.Date.AddDays(i), Ops(i == 6 ? new() { ["sign"] = new(4, 0) } : []))).ToList();
        UsageSeries series = Series(From.Date, From.Date.AddDays(7), UsageBucket.Day, days);

        IRenderedComponent<UsageChart> chart = Render<UsageChart>(p => p
            .Add(x => x.Series, series).Add(x => x.IdPrefix, "project-usage").Add(x => x.Title, "Operations"));

        Assert.Equal(["12-06", "12-07", "12-08", "12-09", "12-10", "12-11", "12-12"], chart.FindComponent<MudBlazor.MudChart<double>>().Instance.ChartLabels);
        Assert.Equal(["2026-12-12", "4", "4", "0", "4"], chart.FindAll("#project-usage-table tbody tr > *").Select(Text));
        Assert.Equal("Day (UTC)", Text(chart.Find("#project-usage-table thead th")));
    }

    [Fact]
    public void Chart_WithoutOperations_SaysNoOperationsYet()
    {
        IRenderedComponent<UsageChart> chart = Render<UsageChart>(p => p
            .Add(x => x.Series, Hourly()).Add(x => x.IdPrefix, "key-usage").Add(x => x.Title, "Operations"));

        Assert.Equal("No operations yet", Text(chart.Find("#key-usage-empty")));
        Assert.Empty(chart.FindComponents<MudBlazor.MudChart<double>>());
        Assert.Empty(chart.FindAll("#key-usage-table"));
    }

    [Fact]
    public void FailuresChart_PlotsOnlyFailures()
    {
        UsageSeries series = Hourly(
            (1, new() { ["encrypt"] = new(7, 0), ["decrypt"] = new(0, 4) }),
            (3, new() { ["verify"] = new(2, 1) }));

        IRenderedComponent<UsageChart> chart = Render<UsageChart>(p => p
            .Add(x => x.Series, series).Add(x => x.IdPrefix, "failures").Add(x => x.Title, "Failures").Add(x => x.FailuresOnly, true));

        Assert.Equal(["decrypt (failed)", "verify (failed)"], chart.FindComponent<MudBlazor.MudChart<double>>().Instance.ChartSeries.Select(s => s.Name));
        Assert.Equal(["Hour (UTC)", "decrypt (failed)", "verify (failed)", "Failures"], chart.FindAll("#failures-table thead th").Select(Text));
        Assert.Equal(
            [["2026-12-06 10:00", "4", "0", "4"], ["2026-12-06 12:00", "0", "1", "1"]],
            chart.FindAll("#failures-table tbody tr").Select(r => r.Children.Select(Text).ToList()));
        Assert.Equal("5", Text(chart.Find("#failures-failures")));
    }

    [Fact]
    public void FailuresChart_WithOnlySuccesses_SaysNothingFailed()
    {
        UsageSeries series = Hourly((1, new() { ["encrypt"] = new(7, 0) }));

        IRenderedComponent<UsageChart> chart = Render<UsageChart>(p => p
            .Add(x => x.Series, series).Add(x => x.IdPrefix, "failures").Add(x => x.Title, "Failures").Add(x => x.FailuresOnly, true));

        Assert.Equal("No failed operations in this window.", Text(chart.Find("#failures-empty")));
        Assert.Empty(chart.FindComponents<MudBlazor.MudChart<double>>());
    }

    [Fact]
    public void TopActors_ListsNameTypeCountsAndLastOperation()
    {
        UsageActor[] actors =
        [
            new("identity", Guid.NewGuid(), "billing-service", 40, 2, From.AddHours(3).AddMinutes(12)),
            new("user", Guid.NewGuid(), "admin@example.com", 3, 0, From.AddHours(1)),
        ];

        IRenderedComponent<TopActorsTable> table = Render<TopActorsTable>(p => p.Add(x => x.Actors, actors).Add(x => x.Id, "key-top-actors"));

        Assert.Equal(["Name", "Type", "Operations", "Failures", "Last operation (UTC)"], table.FindAll("#key-top-actors thead th").Select(Text));
        Assert.Equal(
            [
                ["billing-service", "identity", "40", "2", "2026-12-06 12:12 UTC"],
                ["admin@example.com", "user", "3", "0", "2026-12-06 10:00 UTC"],
            ],
            table.FindAll("#key-top-actors tbody tr").Select(r => r.Children.Select(Text).ToList()));
    }

    [Fact]
    public void TopActors_WithoutActors_SaysNoOperationsYet()
    {
        IRenderedComponent<TopActorsTable> table = Render<TopActorsTable>(p => p.Add(x => x.Actors, []).Add(x => x.Id, "key-top-actors"));

        Assert.Equal("No operations yet", Text(table.Find("#key-top-actors-empty")));
        Assert.Empty(table.FindAll("#key-top-actors"));
    }

    [Fact]
    public void FailureReasons_ListsReasonsWithCounts_OrSaysNoneFailed()
    {
        IRenderedComponent<FailureReasons> reasons = Render<FailureReasons>(p => p
            .Add(x => x.Failures, new Dictionary<string, long> { ["PermissionDenied"] = 5, ["BadRequest"] = 1 }).Add(x => x.Id, "failure-reasons"));
        Assert.Equal([["PermissionDenied", "5"], ["BadRequest", "1"]],
            reasons.FindAll("#failure-reasons tbody tr").Select(r => r.Children.Select(Text).ToList()));

        IRenderedComponent<FailureReasons> none = Render<FailureReasons>(p => p.Add(x => x.Failures, new Dictionary<string, long>()).Add(x => x.Id, "failure-reasons"));
        Assert.Equal("No failed operations in this window.", Text(none.Find("#failure-reasons")));
    }

    [Fact]
    public void PeriodToggle_MarksTheChosenWindowAndReportsAnother()
    {
        UsagePeriod? chosen = null;
        IRenderedComponent<UsagePeriodToggle> toggle = Render<UsagePeriodToggle>(p => p
            .Add(x => x.Value, UsagePeriod.Last7Days).Add(x => x.ValueChanged, (UsagePeriod v) => chosen = v));

        Assert.Equal("true", toggle.Find("#usage-window-7d").GetAttribute("aria-pressed"));
        Assert.Equal("false", toggle.Find("#usage-window-24h").GetAttribute("aria-pressed"));
        toggle.Find("#usage-window-30d").Click();
        Assert.Equal(UsagePeriod.Last30Days, chosen);
    }

    [Fact]
    public void Periods_AskForHoursOrWholeDaysEndingToday()
    {
        DateTime now = new(2026, 12, 7, 8, 30, 0, DateTimeKind.Utc);
        Assert.Equal(new UsageQuery(Bucket: UsageBucket.Hour), UsagePeriods.Query(UsagePeriod.Last24Hours, now));
        UsageQuery week = UsagePeriods.Query(UsagePeriod.Last7Days, now);
        Assert.Equal((new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(2026, 12, 8, 0, 0, 0, DateTimeKind.Utc)),
            UsageWindow.Resolve(week, now));
        Assert.Equal(UsageBucket.Day, UsagePeriods.Query(UsagePeriod.Last30Days, now).Bucket);
    }

    private static UsageSeries Hourly(params (int Hour, Dictionary<string, OutcomeCounts> Operations)[] used)
    {
        var buckets = Enumerable.Range(0, 24)
            .Select(i => new UsageBucketCounts(From.AddHours(i), Ops(used.FirstOrDefault(u => u.Hour == i).Operations ?? [])))
            .ToList();
        return Series(From, From.AddHours(24), UsageBucket.Hour, buckets);
    }

    /// <summary>A series with the totals Core would compute from these buckets.</summary>
    private static UsageSeries Series(DateTime from, DateTime to, UsageBucket bucket, List<UsageBucketCounts> buckets)
    {
        var totals = new Dictionary<string, OutcomeCounts>();
        foreach (string op in KeyUsageOperations.Names)
        {
            OutcomeCounts sum = buckets.Aggregate(default(OutcomeCounts), (s, b) => s + b.Operations.GetValueOrDefault(op));
            if (sum.Total > 0)
            {
                totals[op] = sum;
            }
        }

        return new UsageSeries(from, to, bucket, buckets, totals, new Dictionary<string, long>(), []);
    }

    private static Dictionary<string, OutcomeCounts> Ops(Dictionary<string, OutcomeCounts> operations) =>
        KeyUsageOperations.Names.Where(operations.ContainsKey).ToDictionary(n => n, n => operations[n]);

    private static string Text(IElement element) => Regex.Replace(element.TextContent, @"\s+", " ").Trim();
}
