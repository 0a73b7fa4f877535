using InfisicalKms.Core.Access;
using InfisicalKms.Core.Observability;
using InfisicalKms.Core.Storage;

namespace InfisicalKms.Core.Audit;

/// <summary>
/// How Core services record what they do (spec §10.7): one <see cref="AuditEntry"/> per operation,
/// written before the caller gets the result. A record that cannot be written fails the operation.
/// </summary>
/// <remarks>
/// Operations that change state put their success record in their own transaction (<see cref="SaveAsync(AuditEntry, KmsDbContext, CancellationToken)"/>),
/// so the change and its record commit together. Everything else, and every failure, goes through the
/// batching <see cref="IAuditSink"/> (<see cref="AuditWriter"/>).
/// </remarks>
public sealed class AuditLog(IAuditSink writer, TimeProvider clock, KmsMetrics metrics)
{
    public AuditEntry Entry(Actor actor, string eventType) =>
        new(eventType, AuditActor.Of(actor), actor.OrganizationId, actor.Origin);

    public AuditEntry Entry(AuditActor actor, Guid organizationId, RequestOrigin origin, string eventType) =>
        new(eventType, actor, organizationId, origin);

    /// <summary>
    /// Runs <paramref name="operation"/> and records <paramref name="entry"/> if the operation targeted it:
    /// <c>success</c> when it returns, <c>failure</c> with the error class when it throws.
    /// </summary>
    /// <exception cref="AuditUnavailableException">The record could not be written; the result is withheld.</exception>
    public async Task<T> RunAsync<T>(AuditEntry entry, Func<Task<T>> operation)
    {
        T result;
        try
        {
            result = await operation();
        }
        catch (Exception error) when (entry.IsTargeted && !entry.IsCommitted)
        {
            await writer.WriteAsync([entry.Failed(error, clock.GetUtcNow().UtcDateTime)]);
            metrics.Operation(entry, success: false);
            throw;
        }
        catch
        {
            metrics.Operation(entry, success: false);   // refused before it found its key: not recorded, but counted
            throw;
        }

        if (entry.IsTargeted && !entry.IsCommitted)
        {
            await writer.WriteAsync([entry.Succeeded(clock.GetUtcNow().UtcDateTime)]);
        }

        metrics.Operation(entry, success: true);
        return result;
    }

    public Task RunAsync(AuditEntry entry, Func<Task> operation) =>
        RunAsync(entry, async () =>
        {
            await operation();
            return true;
        });

    /// <summary>
    /// Saves <paramref name="db"/>'s changes together with the entry's success record, in one transaction.
    /// </summary>
    public Task SaveAsync(AuditEntry entry, KmsDbContext db, CancellationToken ct) => SaveAsync([entry], db, ct);

    /// <summary>Saves the changes with several success records (bulk routes record one per key).</summary>
    public async Task SaveAsync(IReadOnlyList<AuditEntry> entries, KmsDbContext db, CancellationToken ct)
    {
        DateTime now = clock.GetUtcNow().UtcDateTime;
        List<AuditEvent> records = entries.Select(e => e.Succeeded(now)).ToList();
        db.AuditEvents.AddRange(records);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch
        {
            // Not committed: a retry on this context must not carry stale records.
            foreach (AuditEvent record in records)
            {
                db.Entry(record).State = Microsoft.EntityFrameworkCore.EntityState.Detached;
            }

            throw;
        }

        if (db.Database.CurrentTransaction is null)
        {
            foreach (AuditEntry entry in entries)
            {
                entry.IsCommitted = true;
            }
        }
    }

    /// <summary>
    /// Saves like <see cref="SaveAsync(AuditEntry, KmsDbContext, CancellationToken)"/>; when the save loses a
    /// unique-index race (a concurrent create or rename took the name) and <paramref name="nameTaken"/> confirms
    /// it, the error is <paramref name="duplicate"/>'s instead of the database's.
    /// </summary>
    public async Task SaveUniqueAsync(
        AuditEntry entry, KmsDbContext db, Func<CancellationToken, Task<bool>> nameTaken, Func<Exception> duplicate, CancellationToken ct)
    {
        try
        {
            await SaveAsync(entry, db, ct);
        }
        catch (Microsoft.EntityFrameworkCore.DbUpdateException)
        {
            if (await nameTaken(ct))
            {
                throw duplicate();
            }

            throw;
        }
    }

    /// <summary>For callers that commit their own transaction after <see cref="SaveAsync(AuditEntry, KmsDbContext, CancellationToken)"/>.</summary>
    public static void MarkCommitted(params IEnumerable<AuditEntry> entries)
    {
        foreach (AuditEntry entry in entries)
        {
            entry.IsCommitted = true;
        }
    }

    /// <summary>Writes records that are not tied to one running operation (bulk failures, background jobs).</summary>
    public Task WriteAsync(IEnumerable<AuditEntry> entries, Exception? failure = null)
    {
        DateTime now = clock.GetUtcNow().UtcDateTime;
        return writer.WriteAsync(entries.Select(e => failure is null ? e.Succeeded(now) : e.Failed(failure, now)).ToList());
    }
}

/// <summary>An audit record could not be made durable: the operation is refused (500), never carried out unaudited.</summary>
public sealed class AuditUnavailableException(Exception inner) : Exception("The audit log could not be written.", inner);
