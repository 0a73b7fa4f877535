using System.Diagnostics.Metrics;
using System.Text;
using InfisicalKms.Tests.Web.Api.Operations;
using InfisicalKms.Web.Operations;
using Prometheus;

namespace InfisicalKms.Tests.Web.Operations;

/// <summary>
/// <see cref="RecordedInstruments"/> writes what prometheus-net's adapter wrote for the same measurements (dashboards
/// and alerts keep working), whatever order the tags come in, and stops adding series at its bound.
/// </summary>
public sealed class RecordedInstrumentsTests : IDisposable
{
    private static readonly double[] Buckets = [0.001, 0.01, 0.1, 1];

    private readonly Meter _meter = new("Test.Recorded-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => _meter.Dispose();

    [Fact]
    public async Task Measurements_AreExportedAsTheAdapterExportsThem()
    {
        CollectorRegistry ours = Metrics.NewCustomRegistry(), adapters = Metrics.NewCustomRegistry();
        using var recorded = new RecordedInstruments(Metrics.WithCustomRegistry(ours), i => i.Meter == _meter, _ => Buckets);
        using IDisposable adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = adapters,
            MetricFactory = Metrics.WithCustomRegistry(adapters),
            InstrumentFilterPredicate = i => i.Meter == _meter,
            ResolveHistogramBuckets = _ => Buckets,
        });

        Histogram<double> duration = _meter.CreateHistogram<double>("http.server.request.duration", "s", "Duration of requests.");
        Counter<long> operations = _meter.CreateCounter<long>("crypto.operations", "{operation}", "Operations by outcome");
        UpDownCounter<long> active = _meter.CreateUpDownCounter<long>("active-requests");
        duration.Record(0.0004, new("http.route", "/api/status"), new("http.response.status_code", 200));
        duration.Record(0.02, new("http.response.status_code", 200), new("http.route", "/api/status"));   // the same series, tags in another order
        duration.Record(3, new("http.route", "/api/status"), new("http.response.status_code", 503));
        duration.Record(0.5, new KeyValuePair<string, object?>("http.route", "/x"), new("http.response.status_code", 404), new("aspnetcore.request.is_unhandled", true));
        operations.Add(2, new KeyValuePair<string, object?>("outcome", "success"));
        operations.Add(3, new KeyValuePair<string, object?>("outcome", "success"));
        operations.Add(1, new KeyValuePair<string, object?>("outcome", null));
        active.Add(1);
        active.Add(1);
        active.Add(-1);

        string[] expected = await LinesAsync(adapters);
        Assert.Equal(expected, await LinesAsync(ours));
        var text = new PrometheusText(string.Join('\n', expected));
        string name = _meter.Name.ToLowerInvariant().Replace('.', '_').Replace('-', '_');
        Assert.Equal("histogram", text.TypeOf($"{name}_http_server_request_duration"));
        Assert.Equal(2, text.Sum($"{name}_http_server_request_duration_count", ("http_route", "/api/status"), ("http_response_status_code", "200")));
        Assert.Equal(1, text.Sum($"{name}_http_server_request_duration_bucket", ("http_response_status_code", "200"), ("le", "0.001")));
        Assert.Equal(1, text.Sum($"{name}_http_server_request_duration_count", ("aspnetcore_request_is_unhandled", "True")));
        Assert.Equal(5, text.Sum($"{name}_crypto_operations", ("outcome", "success")));
        Assert.Equal(1, text.Sum($"{name}_crypto_operations", ("outcome", "")));
        Assert.Equal(1, text.Sum($"{name}_active_requests"));
        Assert.Equal(7, recorded.SeriesCount);   // durations 4 (one of them the reordered tags), operations 2, active 1
    }

    [Fact]
    public async Task Series_StopAtTheBound_AndKnownOnesStillCount()
    {
        CollectorRegistry registry = Metrics.NewCustomRegistry();
        using var recorded = new RecordedInstruments(Metrics.WithCustomRegistry(registry), i => i.Meter == _meter, _ => Buckets);
        Counter<int> counter = _meter.CreateCounter<int>("requests");
        for (int i = 0; i < RecordedInstruments.MaxSeries + 50; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("path", "/p/" + i));
        }

        counter.Add(1, new KeyValuePair<string, object?>("path", "/p/0"));

        Assert.Equal(RecordedInstruments.MaxSeries, recorded.SeriesCount);
        var text = new PrometheusText(string.Join('\n', await LinesAsync(registry)));
        string name = _meter.Name.ToLowerInvariant().Replace('.', '_').Replace('-', '_') + "_requests";
        Assert.Equal(2, text.Sum(name, ("path", "/p/0")));
        Assert.Equal(RecordedInstruments.MaxSeries + 1, text.Sum(name));
        Assert.Equal(0, text.Sum(name, ("path", "/p/" + RecordedInstruments.MaxSeries)));
    }

    [Fact]
    public async Task TagsMadeAnewForEachMeasurement_CountInOneSeries()
    {
        CollectorRegistry registry = Metrics.NewCustomRegistry();
        using var recorded = new RecordedInstruments(Metrics.WithCustomRegistry(registry), i => i.Meter == _meter, _ => Buckets);
        Histogram<double> duration = _meter.CreateHistogram<double>("duration", "s");
        for (int i = 0; i < 1000; i++)
        {
            // A fresh box and a fresh string each time, equal in value: the recent-series table misses, the lookup by value finds.
            duration.Record(0.002, new("http.route", new string("/api/status".AsSpan())), new("http.response.status_code", (object)200));
        }

        Assert.Equal(1, recorded.SeriesCount);
        var text = new PrometheusText(string.Join('\n', await LinesAsync(registry)));
        string name = _meter.Name.ToLowerInvariant().Replace('.', '_').Replace('-', '_') + "_duration";
        Assert.Equal(1000, text.Sum(name + "_count", ("http_route", "/api/status"), ("http_response_status_code", "200")));
    }

    [Fact]
    public void ObservableInstruments_AreLeftToTheAdapter()
    {
        using var recorded = new RecordedInstruments(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry()), _ => true, _ => Buckets);
        ObservableGauge<int> gauge = _meter.CreateObservableGauge("queue", () => 3);
        Assert.False(RecordedInstruments.Records(gauge));
        Assert.True(RecordedInstruments.Records(_meter.CreateCounter<int>("c")));
    }

    /// <summary>The registry's sample, type and help lines for this test's meter, sorted (the two registries order families by creation).</summary>
    private async Task<string[]> LinesAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        string prefix = _meter.Name.ToLowerInvariant().Replace('.', '_').Replace('-', '_');
        return [.. Encoding.UTF8.GetString(stream.ToArray()).Split('\n').Where(l => l.Contains(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
    }
}
