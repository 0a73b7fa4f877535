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

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingWrite>();
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
                await using KmsDbContext db = await _dbFactory.CreateDbContextAsync();
                db.AuditEvents.AddRange(batch.SelectMany(p => p.Records));
                await db.SaveChangesAsync();
                batch.ForEach(p => p.Done.TrySetResult());
            }
            catch (Exception e)
            {
                // Fail closed: every operation in the batch is refused rather than answered unaudited.
                _logger.LogError(e, "Could not write {Count} audit record(s); the operations that produced them were refused", records);
                batch.ForEach(p => p.Done.TrySetException(new AuditUnavailableException(e)));
            }

            batch.Clear();
        }
    }

    private sealed record PendingWrite(IReadOnlyList<AuditEvent> Records)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
