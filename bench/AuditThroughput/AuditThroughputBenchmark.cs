using System.Globalization;

namespace AuditThroughput;

/// <summary>
/// Encrypt throughput over HTTP with auditing on (the product as shipped) and off (a discarding
/// <see cref="InfisicalKms.Core.Audit.IAuditSink"/>), both servers in one run. For each client count: a
/// warm-up of each server, then pairs of timed rounds in the order on/off, off/on, ... so that drift of a
/// shared machine falls on both sides. Ends with the audit check: one committed record per answered encrypt.
/// </summary>
/// <remarks>Not a test: nothing asserts a timing. Exit code 1 means a failed request or a wrong record count.</remarks>
internal static class AuditThroughputBenchmark
{
    public static async Task<int> Main(string[] args)
    {
        Options options = Options.Parse(args);
        Console.WriteLine(Report.Machine());
        Console.WriteLine(FormattableString.Invariant(
            $"clients {string.Join(",", options.Clients)}; rounds of {options.Round.TotalSeconds} s, {options.Pairs} pair(s) each; warm-up {options.Warmup.TotalSeconds} s"));

        using var on = new BenchServer("audit-on", auditing: true);
        using var off = new BenchServer("audit-off", auditing: false);
        await on.StartAsync();
        await off.StartAsync();
        Console.WriteLine($"database: a SQLite file per server, {await on.StorageModeAsync()}");
        Console.WriteLine(FormattableString.Invariant($"audit commit delay: {on.CommitDelay.TotalMilliseconds} ms (Kms__Audit__CommitDelayMs)"));

        var rounds = new List<RoundResult>();
        long answeredWithAudit = 0, failed = 0;
        foreach (int clients in options.Clients)
        {
            foreach (BenchServer server in new[] { on, off })
            {
                RoundResult warmup = await LoadRound.RunAsync(server, clients, options.Warmup);
                answeredWithAudit += server.Auditing ? warmup.Succeeded : 0;
                failed += warmup.Failed;
            }

            for (int pair = 0; pair < options.Pairs; pair++)
            {
                foreach (BenchServer server in pair % 2 == 0 ? new[] { on, off } : [off, on])
                {
                    Settle();
                    RoundResult round = await LoadRound.RunAsync(server, clients, options.Round);
                    Console.WriteLine(Report.Round(round, pair));
                    rounds.Add(round);
                    answeredWithAudit += server.Auditing ? round.Succeeded : 0;
                    failed += round.Failed;
                }
            }
        }

        Console.WriteLine();
        foreach (string line in Report.Summary(rounds))
        {
            Console.WriteLine(line);
        }

        (long recorded, long recordedFailures) = await on.CountEncryptRecordsAsync();
        (long recordedOff, _) = await off.CountEncryptRecordsAsync();
        (bool valid, long chained) = await on.VerifyChainAsync();
        bool exact = recorded == answeredWithAudit && recordedFailures == 0 && recordedOff == 0;
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant(
            $"audit check: {answeredWithAudit} encrypts answered 200 with auditing on (warm-ups included), {recorded} success records in its database, {recordedFailures} failure records; {recordedOff} records with auditing off: {(exact ? "exact" : "MISMATCH")}"));
        Console.WriteLine(FormattableString.Invariant($"chain verification (audit on): valid={valid}, {chained} records checked; failed requests: {failed}"));
        return exact && valid && failed == 0 ? 0 : 1;
    }

    /// <summary>Each round starts from a collected heap, so one round's garbage is not paid for by the next.</summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Thread.Sleep(200);
    }

    private sealed record Options(int[] Clients, TimeSpan Round, TimeSpan Warmup, int Pairs)
    {
        /// <summary><c>--clients 1,16,64 --seconds 3 --warmup 2 --pairs 5</c> (the defaults): many short pairs cancel drift better than a few long ones.</summary>
        public static Options Parse(string[] args)
        {
            var options = new Options([1, 16, 64], TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2), 5);
            for (int i = 0; i + 1 < args.Length; i += 2)
            {
                string value = args[i + 1];
                options = args[i] switch
                {
                    "--clients" => options with { Clients = [.. value.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))] },
                    "--seconds" => options with { Round = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                    "--warmup" => options with { Warmup = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) },
                    "--pairs" => options with { Pairs = int.Parse(value, CultureInfo.InvariantCulture) },
                    _ => throw new ArgumentException($"Unknown option {args[i]}; use --clients, --seconds, --warmup, --pairs."),
                };
            }

            return options;
        }
    }
}
