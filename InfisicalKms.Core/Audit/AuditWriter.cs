using System.Threading.Channels;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Core.Audit;

/// <summary>Where finished audit records go. One implementation in the product (<see cref="AuditWriter"/>); benchmarks swap it to measure its cost.</summary>
public interface IAuditSink
{
    /// <summary>Completes once the records are durable; faults with <see cref="AuditUnavailableException"/> otherwise.</summary>
    Task WriteAsync(IReadOnlyList<AuditEvent> records);
}

/// <summary>
/// Group commit for audit records: requests queue their records and wait; one loop writes whatever has
/// queued in a single transaction and then releases every waiter. Each caller is answered only after its
/// record is durable, at the cost of one commit per batch instead of one per request.
/// </summary>
public sealed class AuditWriter : IAuditSink, IAsyncDisposable, IDisposable
{
    private const int MaxRecordsPerBatch = 512;

    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IDbContextFactory<KmsDbContext> _dbFactory;
    private readonly ILogger<AuditWriter> _logger;
    private readonly Task _loop;

    public AuditWriter(IDbContextFactory<KmsDbContext> dbFactory, ILogger<AuditWriter> logger)
    {
        _dbFactory = dbFactory;
        _logger = logger;
        _loop = Task.Run(WriteLoopAsync);
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
        if (!_queue.Writer.TryWrite(pending))
        {
            return Task.FromException(new AuditUnavailableException(new ObjectDisposedException(nameof(AuditWriter))));
        }

        return pending.Done.Task;
    }

    /// <summary>Stops taking records and waits until everything queued is written.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    /// <summary>Synchronous disposal (a host disposed without <c>DisposeAsync</c>) also drains the queue.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <remarks>
    /// The loop is serial, and every request waiting for its record waits for all of it, so a batch should
    /// pay for its transaction and little else. One context, with its connection open, serves batch after
    /// batch while they commit: no new context, no connection taken from the pool under the pool's lock
    /// (which every request contends for too), no set-up EF runs on each open. It neither detects changes
    /// nor keeps snapshots: it only adds records, <see cref="AuditChain"/> marks the heads it moves, and the
    /// tracker is cleared after each batch, so the next one reads the heads afresh under the write lock.
    /// A failed batch discards the context, whose tracker and connection may be in any state; the next
    /// batch opens a new one. Durability is unchanged: each batch is one committed transaction before any
    /// of its callers is released.
    /// </remarks>
    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingWrite>();
        KmsDbContext? db = null;
        try
        {
            while (await _queue.Reader.WaitToReadAsync())
            {
                int records = 0;
                while (records < MaxRecordsPerBatch && _queue.Reader.TryRead(out PendingWrite? next))
                {
                    batch.Add(next);
                    records += next.Records.Count;
                }

                try
                {
                    db ??= await OpenAsync();
                    db.AuditEvents.AddRange(batch.SelectMany(p => p.Records));
                    await db.SaveChangesAsync(acceptAllChangesOnSuccess: false);
                    db.ChangeTracker.Clear();
                    batch.ForEach(p => p.Done.TrySetResult());
                }
                catch (Exception e)
                {
                    await CloseAsync(db);
                    db = null;

                    // Fail closed: every operation in the batch is refused rather than answered unaudited.
                    _logger.LogError(e, "Could not write {Count} audit record(s); the operations that produced them were refused", records);
                    batch.ForEach(p => p.Done.TrySetException(new AuditUnavailableException(e)));
                }

                batch.Clear();
            }
        }
        finally
        {
            await CloseAsync(db);
        }
    }

    private async Task<KmsDbContext> OpenAsync()
    {
        KmsDbContext db = await _dbFactory.CreateDbContextAsync();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            await db.Database.OpenConnectionAsync();   // opened here, so EF leaves it open between batches
            return db;
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    /// <summary>Disposes the context (its connection goes back to the pool); never throws, so the loop outlives a bad connection.</summary>
    private async Task CloseAsync(KmsDbContext? db)
    {
        try
        {
            if (db is not null)
            {
                await db.DisposeAsync();
            }
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Could not close the audit writer's database connection");
        }
    }

    private sealed record PendingWrite(IReadOnlyList<AuditEvent> Records)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
