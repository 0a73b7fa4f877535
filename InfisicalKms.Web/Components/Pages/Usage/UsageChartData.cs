using InfisicalKms.Core.Usage;
using MudBlazor;

namespace InfisicalKms.Web.Components.Pages.Usage;

/// <summary>One series of a usage chart, and so one column of its accessible table.</summary>
/// <param name="Name">The operation, or "operation (failed)" for its failures.</param>
/// <param name="Color">A theme colour (a MudBlazor palette variable), so the bar follows the light or dark theme.</param>
public sealed record UsageChartColumn(string Name, string Operation, bool Failed, string Color)
{
    public long Value(UsageBucketCounts bucket) => bucket.Operations.TryGetValue(Operation, out OutcomeCounts counts)
        ? (Failed ? counts.Failure : counts.Success)
        : 0;
}

/// <summary>
/// What a usage chart plots and its table lists, built once from a <see cref="UsageSeries"/>: one series per
/// operation present in the window (its successes) and one per operation that failed (in the theme's error
/// colours, stacked on top), or, for a failures chart, only the latter.
/// </summary>
public sealed class UsageChartData
{
    /// <summary>
    /// Palette variables for the operations in <see cref="KeyUsageOperations.Names"/>'s order: each operation
    /// keeps its colour whichever others are present. They come from the theme, whose dark palette lightens them,
    /// and none of them is the error colour.
    /// </summary>
    private static readonly string[] OperationColors =
    [
        "var(--mud-palette-primary)",
        "var(--mud-palette-info)",
        "var(--mud-palette-success)",
        "var(--mud-palette-tertiary)",
        "var(--mud-palette-secondary)",
        "var(--mud-palette-warning)",
        "var(--mud-palette-text-secondary)",
        "var(--mud-palette-primary-darken)",
        "var(--mud-palette-info-darken)",
    ];

    private static readonly string[] FailureColors =
    [
        "var(--mud-palette-error)",
        "var(--mud-palette-error-darken)",
        "var(--mud-palette-error-lighten)",
    ];

    /// <summary>Every colour the charts use: palette variables, so the bars follow the light or dark theme.</summary>
    public static IReadOnlyList<string> ThemeColors { get; } = [.. OperationColors, .. FailureColors];

    /// <summary>The most x-axis labels a chart writes: more would overlap on a narrow screen.</summary>
    private const int MaxAxisLabels = 8;

    public UsageChartData(UsageSeries series, bool failuresOnly)
    {
        Series = series;
        FailuresOnly = failuresOnly;
        var columns = new List<UsageChartColumn>();
        if (!failuresOnly)
        {
            columns.AddRange(Present(c => c.Success).Select(op => new UsageChartColumn(op, op, false, OperationColor(op))));
        }

        columns.AddRange(Present(c => c.Failure).Select((op, i) => new UsageChartColumn($"{op} (failed)", op, true, FailureColors[i % FailureColors.Length])));
        Columns = columns;
        Rows = [.. series.Buckets.Where(b => Total(b) > 0)];
    }

    public UsageSeries Series { get; }

    public bool FailuresOnly { get; }

    /// <summary>The chart's series, in stacking order: successes, then failures.</summary>
    public IReadOnlyList<UsageChartColumn> Columns { get; }

    /// <summary>The buckets the table lists: those with something counted.</summary>
    public IReadOnlyList<UsageBucketCounts> Rows { get; }

    /// <summary>What the chart counts over the whole window: all operations, or only the failed ones.</summary>
    public long WindowTotal => FailuresOnly ? Series.Total.Failure : Series.Total.Total;

    public bool IsEmpty => WindowTotal == 0;

    public long Total(UsageBucketCounts bucket) => FailuresOnly ? bucket.Total.Failure : bucket.Total.Total;

    public long ColumnTotal(UsageChartColumn column) => Series.Operations.TryGetValue(column.Operation, out OutcomeCounts counts)
        ? (column.Failed ? counts.Failure : counts.Success)
        : 0;

    public List<ChartSeries<double>> ChartSeries() =>
        [.. Columns.Select(c => new ChartSeries<double> { Name = c.Name, Data = Series.Buckets.Select(b => (double)c.Value(b)).ToArray() })];

    public string[] Palette() => [.. Columns.Select(c => c.Color)];

    /// <summary>
    /// The x-axis labels: every n-th bucket's hour (HH:mm) or day (MM-dd), at most <see cref="MaxAxisLabels"/>,
    /// the others blank; the table below the chart names every bucket.
    /// </summary>
    public string[] AxisLabels()
    {
        int count = Series.Buckets.Count;
        int step = Math.Max(1, (int)Math.Ceiling(count / (double)MaxAxisLabels));
        string format = Series.Bucket == UsageBucket.Hour ? "HH:mm" : "MM-dd";
        return [.. Series.Buckets.Select((b, i) => i % step == 0 ? b.Start.ToString(format, System.Globalization.CultureInfo.InvariantCulture) : "")];
    }

    /// <summary>A y-axis step that gives about five grid lines, and whole numbers only.</summary>
    public int YAxisStep()
    {
        long max = Series.Buckets.Select(Total).DefaultIfEmpty(0).Max();
        long raw = Math.Max(1, (long)Math.Ceiling(max / 5.0));
        long magnitude = (long)Math.Pow(10, Math.Floor(Math.Log10(raw)));
        long nice = new[] { 1L, 2, 5, 10 }.Select(m => m * magnitude).First(step => step >= raw);
        return (int)Math.Min(nice, int.MaxValue);
    }

    private IEnumerable<string> Present(Func<OutcomeCounts, long> part) =>
        Series.Operations.Where(o => part(o.Value) > 0).Select(o => o.Key);

    private static string OperationColor(string operation)
    {
        int index = KeyUsageOperations.Names.ToList().IndexOf(operation);
        return OperationColors[Math.Max(0, index) % OperationColors.Length];
    }
}
