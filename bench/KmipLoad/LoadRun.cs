using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Authentication;
using InfisicalKms.Core.Kmip.Ttlv;

namespace KmipLoad;

/// <summary>
/// Closed-loop load: every connection sends its next request as soon as the last one is answered, through a
/// warm-up and then the measured period, on the same connections (a KMIP client keeps its connection).
/// </summary>
/// <remarks>
/// A request counts when it starts and is answered inside the measured period: requests/s are the successful
/// ones divided by the period, and p50/p99 are over their latencies. A failed answer, a broken connection or a
/// refused reconnection is an error; a broken connection is opened again, as wrk does.
/// </remarks>
internal sealed class LoadRun(LoadOptions options, ClientCredentials credentials, byte[] request, Action<TtlvItem> check)
{
    /// <summary>How long a request still in flight at the end of the period is waited for before it is given up.</summary>
    private static readonly TimeSpan Straggler = TimeSpan.FromSeconds(10);

    private long _measureStart;
    private long _measureEnd;
    private string? _firstFailure;

    public async Task<LoadResult> RunAsync(IReadOnlyList<KmipConnection> connections)
    {
        long start = Stopwatch.GetTimestamp();
        _measureStart = start + (long)(options.Warmup.TotalSeconds * Stopwatch.Frequency);
        _measureEnd = _measureStart + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        using var hardStop = new CancellationTokenSource(options.Warmup + options.Duration + Straggler);
        Task<WorkerResult>[] workers = [.. connections.Select(c => Task.Run(() => WorkAsync(c, hardStop.Token)))];

        await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _measureStart));
        (TimeSpan client, TimeSpan? server) cpuBefore = (ProcessorTime.Own(), ProcessorTime.Of(options.ServerPid));
        await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _measureEnd));
        (TimeSpan client, TimeSpan? server) cpuAfter = (ProcessorTime.Own(), ProcessorTime.Of(options.ServerPid));
        WorkerResult[] results = await Task.WhenAll(workers);

        long[] latencies = [.. results.SelectMany(r => r.Latencies).Order()];
        return new LoadResult(
            Succeeded: latencies.Length,
            Errors: results.Sum(r => r.Errors),
            Window: options.Duration,
            P50Ms: Percentile(latencies, 0.50),
            P99Ms: Percentile(latencies, 0.99),
            ClientCpu: cpuAfter.client - cpuBefore.client,
            ServerCpu: cpuAfter.server - cpuBefore.server,
            FirstFailure: _firstFailure);
    }

    private async Task<WorkerResult> WorkAsync(KmipConnection? connection, CancellationToken hardStop)
    {
        var latencies = new List<long>(capacity: 64 * 1024);
        long errors = 0;
        try
        {
            while (true)
            {
                long started = Stopwatch.GetTimestamp();
                if (started >= _measureEnd)
                {
                    break;
                }

                bool ok = false, broken = false;
                try
                {
                    connection ??= await KmipConnection.OpenAsync(options, credentials, hardStop);
                    check(await connection.SendAsync(request, hardStop));
                    ok = true;
                }
                catch (Exception error) when (error is KmipLoadFailure or TtlvFormatException)
                {
                    Note(error.Message);   // an answer, but not the expected one: the connection is still usable
                }
                catch (Exception error) when (error is IOException or SocketException or AuthenticationException or OperationCanceledException)
                {
                    Note($"connection: {error.GetType().Name}: {error.Message}");
                    broken = true;
                }

                long answered = Stopwatch.GetTimestamp();
                if (started >= _measureStart && answered <= _measureEnd)
                {
                    if (ok)
                    {
                        latencies.Add(answered - started);
                    }
                    else
                    {
                        errors++;
                    }
                }
                else if (started >= _measureStart && !ok)
                {
                    errors++;   // timed out or broken after the period: still a failure of a measured request
                }

                if (broken)
                {
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }

                    if (hardStop.IsCancellationRequested)
                    {
                        break;
                    }

                    await Task.Delay(50, CancellationToken.None);   // do not spin on a server that refuses connections
                }
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }

        return new WorkerResult(latencies, errors);
    }

    private void Note(string failure) => Interlocked.CompareExchange(ref _firstFailure, failure, null);

    /// <summary>Nearest-rank percentile of sorted Stopwatch tick counts, in milliseconds.</summary>
    private static double Percentile(long[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)] * 1000.0 / Stopwatch.Frequency;

    private sealed record WorkerResult(List<long> Latencies, long Errors);
}

/// <summary>What the measured period gave.</summary>
internal sealed record LoadResult(
    long Succeeded, long Errors, TimeSpan Window, double P50Ms, double P99Ms, TimeSpan ClientCpu, TimeSpan? ServerCpu, string? FirstFailure)
{
    public double RequestsPerSecond => Succeeded / Window.TotalSeconds;

    /// <summary>Processor time per successful request, in milliseconds.</summary>
    public double PerRequestMs(TimeSpan cpu) => Succeeded == 0 ? 0 : cpu.TotalMilliseconds / Succeeded;
}

/// <summary>Processor time (user and system) of this process and of the server's.</summary>
internal static class ProcessorTime
{
    public static TimeSpan Own()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>Null when no process is given or it has gone.</summary>
    public static TimeSpan? Of(int? pid)
    {
        if (pid is null)
        {
            return null;
        }

        try
        {
            using var process = Process.GetProcessById(pid.Value);
            return process.TotalProcessorTime;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
