using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace AuditThroughput;

/// <summary>One timed round: how many encrypts completed, how many failed, each one's latency, and the audit writer's commits.</summary>
/// <remarks><see cref="Cpu"/> is this process's processor time: server and clients together.</remarks>
internal sealed record RoundResult(
    bool Auditing, int Concurrency, int Succeeded, int Failed, TimeSpan Elapsed, TimeSpan Cpu, double[] LatenciesMs, AuditWrites Writes)
{
    public double RequestsPerSecond => Succeeded / Elapsed.TotalSeconds;

    public double CpuMsPerRequest => Cpu.TotalMilliseconds / Math.Max(1, Succeeded + Failed);
}

/// <summary>
/// Closed-loop load: <c>concurrency</c> clients each send an encrypt, wait for the answer, and send the next,
/// until the duration is over. Requests still in flight then are awaited and counted, and the elapsed time
/// runs until the last one is answered, so every counted request lies inside the measured time.
/// </summary>
internal static class LoadRound
{
    /// <summary>32 random bytes per run, the size of a data key: what a KMS typically encrypts.</summary>
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        $$"""{"plaintext":"{{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}}"}""");

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static async Task<RoundResult> RunAsync(BenchServer server, int concurrency, TimeSpan duration)
    {
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        AuditWrites writesBefore = server.Writes;
        long start = Stopwatch.GetTimestamp();
        Task<Tally>[] clients = [.. Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => ClientAsync(server, start, duration)))];
        Tally[] tallies = await Task.WhenAll(clients);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        return new RoundResult(server.Auditing, concurrency, tallies.Sum(t => t.Succeeded), tallies.Sum(t => t.Failed), elapsed, cpu,
            [.. tallies.SelectMany(t => t.LatenciesMs)], server.Writes - writesBefore);
    }

    private static async Task<Tally> ClientAsync(BenchServer server, long start, TimeSpan duration)
    {
        var tally = new Tally();
        while (Stopwatch.GetElapsedTime(start) < duration)
        {
            long sent = Stopwatch.GetTimestamp();
            using var content = new ByteArrayContent(Body);
            content.Headers.ContentType = Json;
            using HttpResponseMessage response = await server.Client.PostAsync(server.EncryptPath, content);
            await response.Content.LoadIntoBufferAsync();   // the whole answer, as a real client reads it
            tally.LatenciesMs.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            if (response.IsSuccessStatusCode)
            {
                tally.Succeeded++;
            }
            else
            {
                tally.Failed++;
                if (tally.Failed == 1)
                {
                    Console.Error.WriteLine($"{server.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }

        return tally;
    }

    private sealed class Tally
    {
        public int Succeeded { get; set; }

        public int Failed { get; set; }

        public List<double> LatenciesMs { get; } = [];
    }
}
