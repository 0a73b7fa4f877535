using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Prometheus;

namespace InfisicalKms.Web.Operations;

/// <summary>
/// The instruments that record as things happen (counters, up-down counters and histograms), written straight into
/// prometheus-net children. Several of them fire on every request: ASP.NET Core's request duration and active
/// requests, routing's match attempts, the product's operation counters.
/// </summary>
/// <remarks>
/// <para>
/// prometheus-net's <c>MeterAdapter</c>, which exports the observable instruments, takes a read lock, hashes the
/// tag names, formats every tag value as text and takes a lease on an expiring child for each measurement: 13 %
/// of the processor time of <c>GET /api/status</c> under load in the hot path's profile. Here a measurement is one
/// lookup in a lock-free dictionary keyed by the tags as they come, which allocates nothing once the series
/// exists, and one update of the child. Before that lookup, a small table of recent series is tried by the
/// identity of the tag objects, which most instruments pass as the same strings and boxes every time (route
/// templates, cached status codes): no hashing of text at all. Histograms are observed without an exemplar: the
/// text format of <c>/metrics</c> carries none, and prometheus-net would otherwise build one from the current trace
/// for every request (1.3 % of the processor time of <c>GET /api/status</c>, 2026-12-07).
/// </para>
/// <para>
/// The output is the adapter's: the same names, help texts, label names and buckets, and counters written as
/// gauges that are incremented, as the adapter writes them. Series do not expire; their number is bounded by the
/// tags' values (route templates, never paths; an unknown method is <c>_OTHER</c>; a few status codes), and a
/// series beyond <see cref="MaxSeries"/> is not recorded rather than grow without end.
/// </para>
/// </remarks>
public sealed class RecordedInstruments : IDisposable
{
    /// <summary>Far above what this server's instruments produce (a few hundred), far below what memory would notice.</summary>
    public const int MaxSeries = 20_000;

    private readonly MeterListener _listener = new();
    private readonly IMetricFactory _factory;
    private readonly Func<Instrument, double[]> _buckets;
    private readonly ConcurrentDictionary<Series, Sink> _series = new(SeriesComparer.Instance);
    private readonly ConcurrentDictionary<Series, Sink>.AlternateLookup<Tags> _lookup;

    /// <summary>Series found by the identity of their tag objects; a slot holds the last one that landed there.</summary>
    private readonly Sink?[] _recent = new Sink?[RecentSlots];

    private const int RecentSlots = 512;

    /// <param name="factory">Where the series are created: the host's own registry.</param>
    /// <param name="wanted">Which instruments to record; observable ones are left to the adapter whatever it says.</param>
    /// <param name="buckets">A histogram's bucket bounds.</param>
    public RecordedInstruments(IMetricFactory factory, Func<Instrument, bool> wanted, Func<Instrument, double[]> buckets)
    {
        _factory = factory;
        _buckets = buckets;
        _lookup = _series.GetAlternateLookup<Tags>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (Records(instrument) && wanted(instrument))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<byte>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<short>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<int>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<long>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<float>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<double>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<decimal>((i, m, t, _) => Record(i, (double)m, t));
        _listener.Start();
    }

    /// <summary>Whether an instrument records as things happen (this class), rather than when it is read (the adapter).</summary>
    public static bool Records(Instrument instrument) => !instrument.IsObservable;

    /// <summary>The tag sets recorded so far; the same series with its tags in another order is a second one.</summary>
    public int SeriesCount => _series.Count;

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // A throw from here would reach the code being measured (a request, a buffer rent): never throw.
        try
        {
            int slot = IdentityHash(instrument, tags) & (RecentSlots - 1);
            Sink? sink = Volatile.Read(ref _recent[slot]);
            if (sink is null || !sink.Series.IsSame(instrument, tags))
            {
                var key = new Tags(instrument, tags);
                if (!_lookup.TryGetValue(key, out sink))
                {
                    if (_series.Count >= MaxSeries)
                    {
                        return;
                    }

                    sink = _series.GetOrAdd(SeriesComparer.Instance.Create(key), CreateSink);
                }

                if (sink.Series.IsSame(instrument, tags))
                {
                    Volatile.Write(ref _recent[slot], sink);   // tags made anew for each measurement never get here
                }
            }

            sink.Record(value);
        }
        catch (Exception)
        {
        }
    }

    private Sink CreateSink(Series series)
    {
        Instrument instrument = series.Instrument;
        KeyValuePair<string, object?>[] tags = series.TagList;
        var labels = new (string Name, string Value)[tags.Length];
        for (int i = 0; i < tags.Length; i++)
        {
            labels[i] = (PrometheusName(tags[i].Key), Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "");
        }

        Array.Sort(labels, (a, b) => string.CompareOrdinal(a.Name, b.Name));   // the tags come in any order; a series' labels do not
        string[] names = [.. labels.Select(l => l.Name)];
        string[] values = [.. labels.Select(l => l.Value)];
        string name = PrometheusName($"{instrument.Meter.Name}_{instrument.Name}");
        string help = Help(instrument);
        if (instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() == typeof(Histogram<>))
        {
            IHistogram child = _factory.CreateHistogram(name, help, names, new HistogramConfiguration { Buckets = _buckets(instrument) })
                .WithLabels(values);
            return new Sink(series, child, null);
        }

        return new Sink(series, null, _factory.CreateGauge(name, help, names).WithLabels(values));
    }

    private static int IdentityHash(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        int hash = RuntimeHelpers.GetHashCode(instrument);
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            hash = (hash * 31) + RuntimeHelpers.GetHashCode(tag.Key);
            hash = (hash * 31) + RuntimeHelpers.GetHashCode(tag.Value);
        }

        return hash;
    }

    /// <summary>As the adapter names it: lower case, and <c>_</c> for every character Prometheus does not allow.</summary>
    private static string PrometheusName(string name)
    {
        var text = new StringBuilder(name.Length + 1);
        foreach (char original in name)
        {
            char c = char.ToLowerInvariant(original);
            bool letter = c is >= 'a' and <= 'z' || c == '_';
            if (text.Length == 0)
            {
                if (!letter)
                {
                    text.Append('_');
                }

                text.Append(c);
            }
            else
            {
                text.Append(letter || c is >= '0' and <= '9' ? c : '_');
            }
        }

        return text.ToString();
    }

    /// <summary>As the adapter writes it: the unit in brackets, the description, and the instrument's kind.</summary>
    private static string Help(Instrument instrument) =>
        (string.IsNullOrWhiteSpace(instrument.Unit) ? "" : $"({instrument.Unit}) ") + $"{instrument.Description} ({instrument.GetType().Name})";

    public void Dispose() => _listener.Dispose();

    /// <summary>One series: what was recorded, with which tags, in the order they came.</summary>
    private sealed class Series(Instrument instrument, KeyValuePair<string, object?>[] tags)
    {
        public Instrument Instrument { get; } = instrument;

        public KeyValuePair<string, object?>[] TagList { get; } = tags;

        /// <summary>Whether a measurement came with this very instrument and these very tag objects, in this order.</summary>
        public bool IsSame(Instrument other, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (!ReferenceEquals(Instrument, other) || tags.Length != TagList.Length)
            {
                return false;
            }

            for (int i = 0; i < tags.Length; i++)
            {
                if (!ReferenceEquals(tags[i].Key, TagList[i].Key) || !ReferenceEquals(tags[i].Value, TagList[i].Value))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>A measurement's instrument and tags, to look its series up without copying them.</summary>
    private readonly ref struct Tags(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> list)
    {
        public Instrument Instrument { get; } = instrument;

        public ReadOnlySpan<KeyValuePair<string, object?>> List { get; } = list;
    }

    private sealed class Sink(Series series, IHistogram? histogram, IGauge? gauge)
    {
        public Series Series { get; } = series;

        public void Record(double value)
        {
            if (histogram is not null)
            {
                histogram.Observe(value, Exemplar.None);   // /metrics writes the text format, which carries no exemplars
            }
            else
            {
                gauge!.Inc(value);
            }
        }
    }

    /// <summary>Tags are equal when their names and values are, in the same order (a boxed status code by its value).</summary>
    private sealed class SeriesComparer : IEqualityComparer<Series>, IAlternateEqualityComparer<Tags, Series>
    {
        public static readonly SeriesComparer Instance = new();

        public bool Equals(Series? x, Series? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && Equal(x.Instrument, x.TagList, y.Instrument, y.TagList));

        public int GetHashCode(Series series) => Hash(series.Instrument, series.TagList);

        public bool Equals(Tags alternate, Series other) => Equal(alternate.Instrument, alternate.List, other.Instrument, other.TagList);

        public int GetHashCode(Tags alternate) => Hash(alternate.Instrument, alternate.List);

        public Series Create(Tags alternate) => new(alternate.Instrument, alternate.List.ToArray());

        private static bool Equal(Instrument a, ReadOnlySpan<KeyValuePair<string, object?>> x, Instrument b, ReadOnlySpan<KeyValuePair<string, object?>> y)
        {
            if (!ReferenceEquals(a, b) || x.Length != y.Length)
            {
                return false;
            }

            for (int i = 0; i < x.Length; i++)
            {
                if (!string.Equals(x[i].Key, y[i].Key, StringComparison.Ordinal) || !Equals(x[i].Value, y[i].Value))
                {
                    return false;
                }
            }

            return true;
        }

        private static int Hash(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var hash = new HashCode();
            hash.Add(instrument);
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                hash.Add(tag.Key, StringComparer.Ordinal);
                hash.Add(tag.Value);
            }

            return hash.ToHashCode();
        }
    }
}
