using System.Globalization;
using System.Runtime.InteropServices;

namespace AuditThroughput;

/// <summary>What the benchmark prints: the machine, one line per round, and the summary table for bench/README.md.</summary>
internal static class Report
{
    public static string Machine()
    {
        string[] cpuinfo = File.Exists("/proc/cpuinfo") ? File.ReadAllLines("/proc/cpuinfo") : [];
        int cores = cpuinfo.Count(l => l.StartsWith("processor", StringComparison.Ordinal));
        string model = cpuinfo.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        string load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";
        return Inv($"machine: {cores} cores, {model}; {RuntimeInformation.FrameworkDescription}; load average at start {load}; date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    }

    public static string Round(RoundResult r, int pair) =>
        Inv($"clients {r.Concurrency,3}  audit {(r.Auditing ? "on " : "off")}  pair {pair + 1}: {r.Succeeded,7} ok {r.Failed} failed in {r.Elapsed.TotalSeconds:F2} s = {r.RequestsPerSecond,8:F1} req/s  p50 {Percentile(r.LatenciesMs, 0.50):F2} ms  p99 {Percentile(r.LatenciesMs, 0.99):F2} ms  cpu {r.CpuMsPerRequest:F2} ms/req")
        + (r.Auditing ? Inv($"  {RecordsPerCommit([r]):F1} records/commit") : "");

    /// <summary>
    /// Per client count: requests/s over all rounds of each configuration (requests ÷ time) and their ratio;
    /// the median and range of the per-pair ratios (each pair ran back to back, so it shares the machine's
    /// state); latency percentiles over every request; processor time per request; records per audit
    /// commit (each commit is one file sync).
    /// </summary>
    public static IEnumerable<string> Summary(IReadOnlyList<RoundResult> rounds)
    {
        yield return "| Clients | Audit on (req/s) | Audit off (req/s) | On / off | Pair ratios: median (min–max) | p50 on / off (ms) | p99 on / off (ms) | CPU on / off (ms/req) | Records per commit |";
        yield return "|---:|---:|---:|---:|---|---:|---:|---:|---:|";
        foreach (IGrouping<int, RoundResult> level in rounds.GroupBy(r => r.Concurrency))
        {
            RoundResult[] on = [.. level.Where(r => r.Auditing)];
            RoundResult[] off = [.. level.Where(r => !r.Auditing)];
            double onRate = Rate(on), offRate = Rate(off);
            double[] onLatency = [.. on.SelectMany(r => r.LatenciesMs)], offLatency = [.. off.SelectMany(r => r.LatenciesMs)];
            double[] pairs = [.. on.Zip(off, (a, b) => a.RequestsPerSecond / b.RequestsPerSecond)];
            yield return Inv($"| {level.Key} | {onRate:F0} | {offRate:F0} | **{onRate / offRate:F2}** | {Median(pairs):F2} ({pairs.Min():F2}–{pairs.Max():F2}) | ")
                + Inv($"{Percentile(onLatency, 0.50):F1} / {Percentile(offLatency, 0.50):F1} | {Percentile(onLatency, 0.99):F1} / {Percentile(offLatency, 0.99):F1} | ")
                + Inv($"{CpuPerRequest(on):F2} / {CpuPerRequest(off):F2} | {RecordsPerCommit(on):F1} |");
        }
    }

    private static double CpuPerRequest(RoundResult[] rounds) =>
        rounds.Sum(r => r.Cpu.TotalMilliseconds) / rounds.Sum(r => r.Succeeded + r.Failed);

    private static double RecordsPerCommit(RoundResult[] rounds) =>
        (double)rounds.Sum(r => r.Writes.Records) / Math.Max(1, rounds.Sum(r => r.Writes.Commits));

    private static double Rate(RoundResult[] rounds) =>
        rounds.Sum(r => r.Succeeded) / rounds.Sum(r => r.Elapsed.TotalSeconds);

    private static double Median(double[] values)
    {
        double[] sorted = [.. values.Order()];
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Nearest-rank percentile.</summary>
    private static double Percentile(double[] values, double p)
    {
        if (values.Length == 0)
        {
            return double.NaN;
        }

        double[] sorted = [.. values.Order()];
        return sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
