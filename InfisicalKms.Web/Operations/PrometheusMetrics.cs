using System.Diagnostics.Metrics;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Observability;
using Prometheus;

namespace InfisicalKms.Web.Operations;

/// <summary>
/// This host's instruments in Prometheus's text format, with prometheus-net: the meters made by this host's
/// <see cref="IMeterFactory"/> (ASP.NET Core's request histograms by route, Kestrel, <see cref="KmsMetrics"/>,
/// the audit writer), the runtime's <c>System.Runtime</c> meter, and the process's CPU, memory and handles.
/// </summary>
/// <remarks>
/// <para>
/// Instruments read when scraped (observable ones) go through prometheus-net's <c>MeterAdapter</c>. Those that
/// record as things happen, several times per request, go through <see cref="RecordedInstruments"/>, which does a
/// fraction of the adapter's work per measurement and writes the same series.
/// </para>
/// <para>
/// One registry per host, not prometheus-net's static default: two hosts in one process (the tests) each
/// export their own counts. An observable instrument's series idle for a day is dropped (prometheus-net allows no
/// longer); a recorded instrument's series stays.
/// </para>
/// </remarks>
public sealed class PrometheusMetrics : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Seconds, from half a millisecond (a warm encrypt) to ten seconds.</summary>
    private static readonly double[] DurationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>
    /// Left out: Kestrel's buffer pool (new in .NET 10) measures every buffer rented and returned, nine
    /// measurements per request at <c>GET /api/status</c>, more than all the other instruments together, and the
    /// process and GC series already show the memory it holds.
    /// </summary>
    private const string KestrelMemoryPoolMeter = "Microsoft.AspNetCore.MemoryPool";

    private readonly IDisposable _adapter;

    private readonly RecordedInstruments _recorded;

    public PrometheusMetrics(IMeterFactory meters, KmsMetrics kms, AuditWriter audit)
    {
        _ = (kms, audit);   // created first, so their instruments exist before the adapter looks
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        IMetricFactory factory = Metrics.WithCustomRegistry(Registry);   // else the adapter writes to the static default registry
        bool Wanted(Instrument instrument) =>
            (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Meter.Name != KestrelMemoryPoolMeter) || instrument.Meter.Name == "System.Runtime";
        _recorded = new RecordedInstruments(factory, Wanted, Buckets);
        _adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            MetricFactory = factory,
            InstrumentFilterPredicate = instrument => Wanted(instrument) && !RecordedInstruments.Records(instrument),
            MetricsExpireAfter = TimeSpan.FromDays(1),   // the longest prometheus-net allows
            ResolveHistogramBuckets = Buckets,
        });
    }

    public CollectorRegistry Registry { get; }

    public async Task WriteAsync(HttpContext http)
    {
        http.Response.ContentType = ContentType;
        http.Response.Headers.CacheControl = "no-store";
        await Registry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted);
    }

    private static double[] Buckets(Instrument instrument) =>
        instrument.Unit == "s" ? DurationBuckets : MeterAdapterOptions.Default.ResolveHistogramBuckets(instrument);

    public void Dispose()
    {
        _adapter.Dispose();
        _recorded.Dispose();
    }
}
