using InfisicalKms.Core.RootKeys;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InfisicalKms.Core.Audit;

/// <summary>
/// Prunes audit records older than the retention period, oldest first, without breaking verification:
/// each pruned chain gets an <c>audit-log-pruned</c> record carrying the hash of the last removed record,
/// and the chain head's checkpoint moves to it in the same transaction (spec §10.7.2 then walks from there).
/// </summary>
public sealed class AuditRetention(
    IDbContextFactory<KmsDbContext> dbFactory, AuditLog audit, IOptions<AuditRetentionSettings> settings, RootKey rootKey, TimeProvider clock,
    ILogger<AuditRetention> logger) : BackgroundService
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromHours(6);

    /// <summary>The actor name of pruning records.</summary>
    public const string ActorName = "audit-retention";

    /// <summary>Prunes, in every chain, the records created before <paramref name="cutoff"/>; returns how many were removed.</summary>
    /// <remarks>A chain is cut as a prefix: up to its newest expired record, so the kept part stays one unbroken chain.</remarks>
    public async Task<int> PruneAsync(DateTime cutoff, CancellationToken ct)
    {
        List<Guid> chains;
        await using (KmsDbContext db = await dbFactory.CreateDbContextAsync(ct))
        {
            // Chains whose only old records are earlier pruning records have nothing new to prune.
            chains = await db.AuditEvents.AsNoTracking()
                .Where(e => e.CreatedAt < cutoff && e.EventType != AuditEventTypes.AuditLogPruned)
                .Select(e => e.ChainId).Distinct().ToListAsync(ct);
        }

        int pruned = 0;
        foreach (Guid chainId in chains)
        {
            pruned += await PruneChainAsync(chainId, cutoff, ct);
        }

        return pruned;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.Value.Days is not { } days)
        {
            return;   // the default: keep every record
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (rootKey.IsLoaded)
                {
                    int pruned = await PruneAsync(clock.GetUtcNow().UtcDateTime.AddDays(-days), stoppingToken);
                    if (pruned > 0)
                    {
                        logger.LogInformation("Audit retention removed {Count} record(s) older than {Days} days.", pruned, days);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Audit retention failed; records are kept and pruning is retried in {Interval}.", CheckInterval);
            }

            await Task.Delay(CheckInterval, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task<int> PruneChainAsync(Guid chainId, DateTime cutoff, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Database.LockAsync(LockScope.AuditChain, chainId, ct);   // PostgreSQL: instances pruning at once take turns
        AuditChainHead head = await db.AuditChainHeads.FirstAsync(h => h.ChainId == chainId, ct);
        AuditEvent? last = await db.AuditEvents.AsNoTracking()
            .Where(e => e.ChainId == chainId && e.ChainIndex >= head.FirstIndex && e.CreatedAt < cutoff)
            .OrderByDescending(e => e.ChainIndex).FirstOrDefaultAsync(ct);
        if (last is null)
        {
            return 0;
        }

        IQueryable<AuditEvent> expired = db.AuditEvents.Where(e => e.ChainId == chainId && e.ChainIndex <= last.ChainIndex);
        int count = await expired.CountAsync(ct);
        AuditEntry record = audit.Entry(AuditActor.System(ActorName), last.OrganizationId, RequestOrigin.None, AuditEventTypes.AuditLogPruned);
        (last.ProjectId is { } projectId ? record.Target(projectId) : record.TargetOrganization())
            .With("prunedCount", count).With("prunedBefore", AuditHash.FormatTime(cutoff)).With("anchorHash", last.Hash);
        await audit.SaveAsync(record, db, ct);   // links after the newest record, so the checkpoint is itself chained

        await expired.ExecuteDeleteAsync(ct);
        head.FirstIndex = last.ChainIndex + 1;
        head.AnchorHash = last.Hash;
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        AuditLog.MarkCommitted(record);
        return count;
    }
}
