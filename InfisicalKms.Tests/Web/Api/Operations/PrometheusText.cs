using System.Globalization;
using System.Text.RegularExpressions;

namespace InfisicalKms.Tests.Web.Api.Operations;

/// <summary>A scrape in Prometheus's text format, parsed: every sample by its name and labels, and the declared types.</summary>
public sealed partial class PrometheusText
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];
    private readonly Dictionary<string, string> _types = [];

    public PrometheusText(string text)
    {
        Text = text;
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] parts = line[7..].Split(' ');
                _types[parts[0]] = parts[1];
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            Match sample = Sample().Match(line);
            Assert.True(sample.Success, $"not a Prometheus sample line: {line}");
            var labels = new Dictionary<string, string>();
            foreach (Match label in Label().Matches(sample.Groups["labels"].Value))
            {
                labels[label.Groups["name"].Value] = label.Groups["value"].Value;
            }

            _samples.Add((sample.Groups["name"].Value, labels, double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
    }

    public string Text { get; }

    public string? TypeOf(string name) => _types.GetValueOrDefault(name);

    public bool Has(string name) => _samples.Exists(s => s.Name == name);

    /// <summary>The sum of the samples called <paramref name="name"/> whose labels include every pair given; 0 when none.</summary>
    public double Sum(string name, params (string Label, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Label) == l.Value)).Sum(s => s.Value);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>[-+0-9.eEInfNa]+)( [0-9]+)?$""")]
    private static partial Regex Sample();

    [GeneratedRegex("""(?<name>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(\\.|[^"\\])*)",?""")]
    private static partial Regex Label();
}
