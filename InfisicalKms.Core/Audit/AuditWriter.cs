using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InfisicalKms.Core.Audit;

/// <summary>Where finished audit records go. One implementation in the product (<see cref="AuditWriter"/>); benchmarks swap it to measure its cost.</summary>
public interface IAuditSink
{
    /// <summary>Completes once the records are durable; faults with <see cref="AuditUnavailableException"/> otherwise.</summary>
    Task WriteAsync(IReadOnlyList<AuditEvent> records);
}

/// <summary>
/// Group commit for audit records: requests queue their records and wait; one writer thread commits
/// whatever has queued in a single transaction and then releases every waiter. Each caller is answered
/// only after its record is durable, at the cost of one commit per batch instead of one per request.
/// </summary>
/// <remarks>
/// <para>
/// The writer is a thread of its own, not a loop on the thread pool. Every request waits for it, so it
/// must start a batch as soon as records arrive rather than queue behind the requests it is holding up,
/// and it spends most of a batch blocked in SQLite's commit (the file sync), which would otherwise hold a
/// pool thread. Waiters resume on the pool, never on this thread.
/// </para>
/// <para>
/// One connection serves batch after batch, with its statements prepared once (<see cref="AuditBatchInsert"/>).
/// A failed batch discards both, whatever state they are in; the next batch opens new ones. Durability is
/// unchanged by any of this: each batch is one committed transaction (SQLite <c>synchronous=FULL</c>)
/// before any of its callers is released.
/// </para>
/// <para>
/// The commit delay, as PostgreSQL's <c>commit_delay</c>: after a batch that served more than one caller,
/// the next batch is held open for up to <see cref="AuditWriterSettings.CommitDelay"/> so that records
/// arriving meanwhile share its file sync. Under concurrent load a commit then carries several records
/// instead of one or two, which is most of what auditing costs each request. A caller alone is never held:
/// a batch with one caller turns the delay off until batches have company again, so a lone client pays
/// no latency for it. Closing, or a full batch, ends the hold at once. It is off by default, as in
/// PostgreSQL: once the hot path made a warm request cheap, holding a batch left the processor idle and cost
/// throughput at every client count measured (bench/README.md, "The hot path"). It still pays on a disk
/// whose sync is slow against a request.
/// </para>
/// <para>
/// Key usage counts (<see cref="Usage.KeyUsageBatchCounts"/>): on SQLite each batch leaves its records to be
/// counted later. The writer starts a round of counting <see cref="UsageCountInterval"/> after a batch left usage
/// pending, and counts it between batches in slices of keys, a transaction each, so that no count holds up the
/// batches for long; batches committed during a round wait for the next. A reader of the counts has the rest
/// counted at once (<see cref="CountUsageAsync"/>), and so does a writer that stops. Counting does not hold up
/// the batch's callers, and a failed count refuses no operation: the ranges stay pending and are counted at the
/// next try.
/// </para>
/// <para>
/// Instruments, on the meter <see cref="MeterName"/> (<c>dotnet-counters monitor --counters InfisicalKms.Audit</c>):
/// <see cref="CommitsCounter"/>, <see cref="CommittedRecordsCounter"/> (their ratio is the records each file
/// sync carries) and <see cref="RefusedRecordsCounter"/> (records whose batch failed, and so did their operations).
/// </para>
/// </remarks>
public sealed class AuditWriter : IAuditSink, IAsyncDisposable, IDisposable
{
    public const string MeterName = "InfisicalKms.Audit";

    public const string CommitsCounter = "kms.audit.commits";

    public const string CommittedRecordsCounter = "kms.audit.records.committed";

    public const string RefusedRecordsCounter = "kms.audit.records.refused";

    /// <summary>How long after a batch leaves usage pending a round of counting starts, unless a reader asks sooner.</summary>
    public static readonly TimeSpan UsageCountInterval = TimeSpan.FromSeconds(3);

    private const int MaxRecordsPerBatch = 512;

    private readonly Queue<PendingWrite> _queue = new();
    private readonly IDbContextFactory<KmsDbContext> _dbFactory;
    private readonly ILogger<AuditWriter> _logger;
    private readonly TimeSpan _commitDelay;
    private readonly int _usageSliceKeys;
    private readonly Counter<long> _commits;
    private readonly Counter<long> _committedRecords;
    private readonly Counter<long> _refusedRecords;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _queuedRecords;
    private bool _closed;
    private bool _abandoned;   // a drain timed out: disposal no longer waits for the writer thread
    private long _committedTotal;   // written by the writer thread, read by a drain
    private bool _lastBatchHadCompany;   // the writer thread's own state
    private volatile string? _lastFailure;   // why the last batch or probe failed; null once one succeeds
    private PendingWrite? _pendingProbe;   // under the queue's lock: probes asked for meanwhile share it
    private readonly bool _countsUsageLater;   // SQLite: batches leave their usage to a count (KeyUsageBatchCounts)
    private long _usageCountDue = long.MaxValue;   // Stopwatch time the pending usage is to be counted; MaxValue: none pending
    private bool _finalCountTried;   // the writer thread's own: a closing writer tries its last count once

    public AuditWriter(IDbContextFactory<KmsDbContext> dbFactory, IOptions<AuditWriterSettings> settings, IMeterFactory meters, ILogger<AuditWriter> logger)
        : this(dbFactory, settings.Value.CommitDelay, meters, logger)
    {
    }

    /// <summary>
    /// With any commit delay, beyond the setting's range: tests hold a batch long enough to watch it; and with any
    /// number of keys per slice of a usage count, so that a few keys make a round of several slices.
    /// </summary>
    internal AuditWriter(IDbContextFactory<KmsDbContext> dbFactory, TimeSpan commitDelay, IMeterFactory meters, ILogger<AuditWriter> logger,
        int usageSliceKeys = AuditBatchInsert.DefaultSliceKeys)
    {
        _dbFactory = dbFactory;
        _usageSliceKeys = usageSliceKeys;
        _commitDelay = commitDelay;
        _logger = logger;
        Meter meter = meters.Create(MeterName);
        _commits = meter.CreateCounter<long>(CommitsCounter, "{commit}", "Transactions committed by the audit writer, one per batch");
        _committedRecords = meter.CreateCounter<long>(CommittedRecordsCounter, "{record}", "Audit records committed by the audit writer");
        _refusedRecords = meter.CreateCounter<long>(RefusedRecordsCounter, "{record}", "Audit records whose batch could not be written; their operations were refused");
        using (KmsDbContext db = dbFactory.CreateDbContext())
        {
            _countsUsageLater = !db.Database.IsPostgres();
        }

        // A server stopped uncleanly may have left usage uncounted: the first count comes soon after start.
        _usageCountDue = _countsUsageLater ? Stopwatch.GetTimestamp() + Ticks(UsageCountInterval) : long.MaxValue;
        _thread = new Thread(Run) { IsBackground = true, Name = "Audit writer" };
        _thread.Start();
    }

    /// <summary>Completes once the records are committed.</summary>
    /// <remarks>Takes no cancellation token: a caller that gives up must not take its record with it.</remarks>
    /// <exception cref="AuditUnavailableException">The batch holding the records could not be written.</exception>
    public Task WriteAsync(IReadOnlyList<AuditEvent> records)
    {
        if (records.Count == 0)
        {
            return Task.CompletedTask;
        }

        var pending = new PendingWrite(records);
        lock (_queue)
        {
            if (_closed)
            {
                return Task.FromException(new AuditUnavailableException(new ObjectDisposedException(nameof(AuditWriter))));
            }

            _queue.Enqueue(pending);
            _queuedRecords += records.Count;
            if (_queue.Count == 1 || _queuedRecords >= MaxRecordsPerBatch)
            {
                Monitor.Pulse(_queue);   // the writer sleeps on an empty queue, or holds a batch that is now full
            }
        }

        return pending.Done.Task;
    }

    /// <summary>Null while the writer takes records and its last batch was committed; otherwise why not (no record content).</summary>
    public string? Unavailable
    {
        get
        {
            lock (_queue)
            {
                return _closed ? "the audit writer is closed: the server is shutting down" : _lastFailure;
            }
        }
    }

    /// <summary>
    /// Whether a record would be written now: the writer links a probe record into a chain of its own, inserts it
    /// on its connection, in turn with the batches, and rolls the transaction back. Nothing is kept.
    /// </summary>
    /// <exception cref="AuditUnavailableException">The probe could not be written, or the writer is closed.</exception>
    public Task ProbeAsync()
    {
        lock (_queue)
        {
            if (_closed)
            {
                return Task.FromException(new AuditUnavailableException(new ObjectDisposedException(nameof(AuditWriter))));
            }

            if (_pendingProbe is { } waiting)
            {
                return waiting.Done.Task;
            }

            _pendingProbe = new PendingWrite([ProbeRecord()]) { IsProbe = true };
            _queue.Enqueue(_pendingProbe);
            Monitor.Pulse(_queue);
            return _pendingProbe.Done.Task;
        }
    }

    /// <summary>
    /// Completes once the key usage of every record committed before the call is in the usage counts, so that a
    /// reader sees what the audit log holds. At once on PostgreSQL, where each batch is counted as it is committed,
    /// or when nothing is pending; otherwise the writer counts now, between batches.
    /// </summary>
    /// <exception cref="AuditUnavailableException">The count could not be written.</exception>
    public Task CountUsageAsync()
    {
        if (Interlocked.Read(ref _usageCountDue) == long.MaxValue)
        {
            return Task.CompletedTask;
        }

        var request = new PendingWrite([]) { IsCountRequest = true };
        lock (_queue)
        {
            if (_closed)
            {
                return Task.CompletedTask;   // the writer counts what is pending as it stops
            }

            _queue.Enqueue(request);
            if (_queue.Count == 1)
            {
                Monitor.Pulse(_queue);
            }
        }

        return request.Done.Task;
    }

    /// <summary>
    /// Shutdown: stops taking records (a later <see cref="WriteAsync"/> is refused, so its operation fails rather
    /// than being answered unaudited) and waits until every queued record is written, or until
    /// <paramref name="ct"/> fires. Then the records still queued are refused, and their operations with them.
    /// </summary>
    public async Task<AuditDrainResult> DrainAsync(CancellationToken ct)
    {
        long committedBefore = Interlocked.Read(ref _committedTotal);
        Close();
        try
        {
            await _stopped.Task.WaitAsync(ct);
            return new AuditDrainResult(Interlocked.Read(ref _committedTotal) - committedBefore, Refused: 0, TimedOut: false);
        }
        catch (OperationCanceledException)
        {
            return new AuditDrainResult(Interlocked.Read(ref _committedTotal) - committedBefore, Abandon(), TimedOut: true);
        }
    }

    /// <summary>Stops taking records and waits until everything queued is written (unless a drain gave up on them).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Close())
        {
            await _stopped.Task;
        }
    }

    /// <summary>Synchronous disposal (a host disposed without <c>DisposeAsync</c>) also drains the queue.</summary>
    public void Dispose()
    {
        if (!Close())
        {
            _thread.Join();
        }
    }

    /// <summary>Refuses every record still queued; the batch being written, if any, finishes on its own. Returns how many were refused.</summary>
    private int Abandon()
    {
        List<PendingWrite> refused;
        lock (_queue)
        {
            _abandoned = true;
            refused = [.. _queue];
            _queue.Clear();
            _queuedRecords = 0;
        }

        var timeout = new AuditUnavailableException(new TimeoutException("The server shut down before the audit record was written."));
        refused.ForEach(p => p.Done.TrySetException(timeout));
        int records = refused.Sum(p => p.Records.Count);
        _refusedRecords.Add(records);
        return records;
    }

    /// <summary>Stops taking records; true if a drain has already given up on the writer.</summary>
    private bool Close()
    {
        lock (_queue)
        {
            _closed = true;
            Monitor.Pulse(_queue);
            return _abandoned;
        }
    }

    private void Run()
    {
        try
        {
            WriteLoop();
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <remarks>
    /// Compiled fully optimized when the writer starts. Left to tiered compilation, this loop, which never returns,
    /// was replaced on stack while serving: the hot path's profile showed that compilation take 320 ms on the
    /// writer's thread about 15 s into a load, and every request waiting for its audit commit waited with it.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteLoop()
    {
        var batch = new List<PendingWrite>();
        var records = new List<AuditEvent>();
        Connection? connection = null;
        try
        {
            while (TakeBatch(batch, records, out bool countUsage))
            {
                if (records.Count > 0)
                {
                    WriteBatch(ref connection, batch, records);
                }

                if (countUsage)
                {
                    CountUsage(ref connection, batch);
                }
                else
                {
                    batch.ForEach(p => p.Done.TrySetResult());   // count requests with nothing pending
                }
            }
        }
        finally
        {
            Close(connection);
        }
    }

    /// <summary>Commits the batch's records (a probe's, rolled back) and answers their callers; never throws.</summary>
    private void WriteBatch(ref Connection? connection, List<PendingWrite> batch, List<AuditEvent> records)
    {
        bool probe = batch is [{ IsProbe: true }];
        try
        {
            bool leftUsage = OnConnection(ref connection, c => c.Commit(records, rollBack: probe));
            _lastFailure = null;
            if (!probe)
            {
                _commits.Add(1);
                _committedRecords.Add(records.Count);
                Interlocked.Add(ref _committedTotal, records.Count);
            }

            if (leftUsage && Interlocked.Read(ref _usageCountDue) == long.MaxValue)
            {
                // Before the callers are answered, so that a count asked for after their answer finds it pending.
                Interlocked.Exchange(ref _usageCountDue, Stopwatch.GetTimestamp() + Ticks(UsageCountInterval));
            }

            batch.ForEach(p =>
            {
                if (!p.IsCountRequest)
                {
                    p.Done.TrySetResult();
                }
            });
            connection!.TallyCommitted();   // after the answers: the callers never wait for it
        }
        catch (Exception e)
        {
            Close(connection);
            connection = null;
            _lastFailure = $"the last audit {(probe ? "probe" : "batch")} could not be written: {KmsDatabase.DriverReason(e)}";

            // Fail closed: every operation in the batch is refused rather than answered unaudited.
            if (probe)
            {
                _logger.LogWarning("The audit writer's probe failed: {Reason}", KmsDatabase.DriverReason(e));
            }
            else
            {
                _logger.LogError(e, "Could not write {Count} audit record(s); the operations that produced them were refused", records.Count);
                _refusedRecords.Add(records.Count);
            }

            batch.ForEach(p =>
            {
                if (!p.IsCountRequest)
                {
                    p.Done.TrySetException(new AuditUnavailableException(e));
                }
            });
        }
    }

    /// <summary>
    /// Counts a slice of the pending usage, in a transaction of its own (<see cref="AuditBatchInsert.CountPending"/>);
    /// the next slice follows the next batch. Count requests in <paramref name="batch"/> are answered once a round
    /// begun after they came has finished: their slices run back to back. So does the last count of a closing
    /// writer, until nothing is pending. A failure is logged and tried again after <see cref="UsageCountInterval"/>;
    /// the ranges stay pending, and the records they hold stay written.
    /// </summary>
    private void CountUsage(ref Connection? connection, List<PendingWrite> batch)
    {
        bool asked = batch.Any(p => p.IsCountRequest);
        bool closing;
        lock (_queue)
        {
            closing = _closed;
        }

        try
        {
            UsageSlice slice = OnConnection(ref connection, c => c.CountPending());
            bool roundSinceAsked = slice.StartedRound;
            while ((asked && !(slice.RoundDone && roundSinceAsked)) || (closing && !(slice.RoundDone && !slice.PendingLeft)))
            {
                slice = OnConnection(ref connection, c => c.CountPending());
                roundSinceAsked |= slice.StartedRound;
            }

            long next = !slice.RoundDone ? Stopwatch.GetTimestamp()
                : slice.PendingLeft ? Stopwatch.GetTimestamp() + Ticks(UsageCountInterval)
                : long.MaxValue;
            Interlocked.Exchange(ref _usageCountDue, next);
            batch.ForEach(p => p.Done.TrySetResult());
        }
        catch (Exception e)
        {
            Close(connection);
            connection = null;
            Interlocked.Exchange(ref _usageCountDue, Stopwatch.GetTimestamp() + Ticks(UsageCountInterval));
            _logger.LogWarning("Could not count the key usage of recent audit records; trying again in {Interval}: {Reason}",
                UsageCountInterval, KmsDatabase.DriverReason(e));
            batch.ForEach(p => p.Done.TrySetException(new AuditUnavailableException(e)));
        }
    }

    /// <summary>
    /// Runs one transaction (a batch, or a count) on the writer's connection, opening one when there is none.
    /// A session the server has since ended (a restart, a terminated backend), whether the writer kept it or the
    /// driver's pool handed it out again, fails once: nothing was committed, so the work runs again on a new
    /// connection. Any other failure, or a second one, is the caller's.
    /// </summary>
    private T OnConnection<T>(ref Connection? connection, Func<Connection, T> work)
    {
        for (bool retried = false; ; retried = true)
        {
            try
            {
                connection ??= Connection.Open(_dbFactory, _usageSliceKeys);
                return work(connection);
            }
            catch (Exception e) when (!retried && KmsDatabase.IsConnectionLost(e))
            {
                Close(connection);
                connection = null;
                _logger.LogInformation("The audit writer's database session had ended ({Reason}); trying again on a new one", KmsDatabase.DriverReason(e));
            }
        }
    }

    /// <summary>
    /// Waits for records and takes what has queued, up to a batch, with the count requests among it; false once
    /// closed and drained. <paramref name="countUsage"/> says whether pending usage is to be counted after the
    /// batch: a count was asked for or is due. A due count with nothing queued is a batch of its own.
    /// </summary>
    private bool TakeBatch(List<PendingWrite> batch, List<AuditEvent> records, out bool countUsage)
    {
        batch.Clear();
        records.Clear();
        countUsage = false;
        lock (_queue)
        {
            while (_queue.Count == 0)
            {
                long due = Interlocked.Read(ref _usageCountDue);
                if (_closed)
                {
                    // The last count, tried once whatever its time: a server stopped cleanly leaves nothing pending.
                    countUsage = due != long.MaxValue && !_finalCountTried;
                    _finalCountTried = true;
                    return countUsage;
                }

                if (due == long.MaxValue)
                {
                    Monitor.Wait(_queue);
                    continue;
                }

                TimeSpan late = Stopwatch.GetElapsedTime(due, Stopwatch.GetTimestamp());
                if (late >= TimeSpan.Zero)
                {
                    countUsage = true;
                    return true;
                }

                // Rounded up, as in HoldForCompany.
                Monitor.Wait(_queue, (int)Math.Ceiling(-late.TotalMilliseconds));
            }

            if (_queue.Peek().IsProbe)
            {
                // A probe is a batch of its own: its transaction is rolled back.
                PendingWrite probe = _queue.Dequeue();
                _pendingProbe = null;
                batch.Add(probe);
                records.AddRange(probe.Records);
                return true;
            }

            if (_lastBatchHadCompany)
            {
                HoldForCompany();
            }

            while (records.Count < MaxRecordsPerBatch && _queue.TryPeek(out PendingWrite? next) && !next.IsProbe)
            {
                batch.Add(_queue.Dequeue());
                records.AddRange(next.Records);
                countUsage |= next.IsCountRequest;
            }

            _queuedRecords -= records.Count;
        }

        countUsage |= Stopwatch.GetTimestamp() >= Interlocked.Read(ref _usageCountDue);
        _lastBatchHadCompany = batch.Count(p => !p.IsCountRequest) > 1;
        return true;
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>
    /// Waits, holding no lock while asleep, until the commit delay has passed, the batch is full or the writer is closing.
    /// </summary>
    private void HoldForCompany()
    {
        long start = Stopwatch.GetTimestamp();
        while (!_closed && _queuedRecords < MaxRecordsPerBatch)
        {
            TimeSpan left = _commitDelay - Stopwatch.GetElapsedTime(start);
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            // Rounded up: Monitor.Wait counts whole milliseconds, and a wait of 0 would spin until the deadline.
            Monitor.Wait(_queue, (int)Math.Ceiling(left.TotalMilliseconds));
        }
    }

    /// <summary>Disposes a connection; never throws, so the writer outlives a bad one.</summary>
    private void Close(Connection? connection)
    {
        try
        {
            connection?.Dispose();
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Could not close the audit writer's database connection");
        }
    }

    /// <summary>The writer's context, its connection held open, and the statements prepared on it.</summary>
    private sealed class Connection(KmsDbContext db, AuditBatchInsert insert) : IDisposable
    {
        public static Connection Open(IDbContextFactory<KmsDbContext> factory, int usageSliceKeys)
        {
            KmsDbContext db = factory.CreateDbContext();
            try
            {
                db.Database.OpenConnection();   // opened here, so EF leaves it open between batches
                return new Connection(db, new AuditBatchInsert(db, usageSliceKeys));
            }
            catch
            {
                db.Dispose();
                throw;
            }
        }

        /// <summary>One transaction (SQLite: <c>BEGIN IMMEDIATE</c>, the write lock first) holding the whole batch.</summary>
        /// <param name="rollBack">A probe: every write is made, then undone.</param>
        /// <returns>Whether the committed batch left key usage to count later.</returns>
        public bool Commit(IReadOnlyList<AuditEvent> records, bool rollBack)
        {
            using DbTransaction transaction = db.Database.GetDbConnection().BeginTransaction();
            bool leftUsage = insert.Write(records, transaction);
            if (rollBack)
            {
                transaction.Rollback();
                insert.Finished(committed: false);
                return false;
            }

            transaction.Commit();
            insert.Finished(committed: true);
            return leftUsage;
        }

        /// <summary>Groups the usage of the batches just committed into the writer's tally (SQLite).</summary>
        public void TallyCommitted() => insert.TallyCommitted();

        /// <summary>One transaction that counts a slice of the pending usage.</summary>
        public UsageSlice CountPending()
        {
            using DbTransaction transaction = db.Database.GetDbConnection().BeginTransaction();
            UsageSlice slice = insert.CountPending(transaction);
            transaction.Commit();
            return slice;
        }

        public void Dispose()
        {
            insert.Dispose();
            db.Dispose();
        }
    }

    /// <summary>A record no chain holds (its chain is <see cref="Guid.Empty"/>, no organization's ID), never committed.</summary>
    private static AuditEvent ProbeRecord() => new()
    {
        Id = Guid.NewGuid(),
        ChainId = Guid.Empty,
        EventType = "audit-writer-probe",
        ActorType = "system",
        ActorName = "readiness probe",
        Outcome = "success",
        Metadata = new Dictionary<string, string>(),
        CreatedAt = DateTime.UtcNow,
    };

    private sealed record PendingWrite(IReadOnlyList<AuditEvent> Records)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsProbe { get; init; }

        /// <summary>Holds no records: answered once the usage pending before it is counted (<see cref="CountUsageAsync"/>).</summary>
        public bool IsCountRequest { get; init; }
    }
}

/// <summary>What a shutdown's <see cref="AuditWriter.DrainAsync"/> did: records written after the stop, and records refused when time ran out.</summary>
public sealed record AuditDrainResult(long Written, int Refused, bool TimedOut);
