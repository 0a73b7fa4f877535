using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.RootKeys;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Core.Keys;

/// <summary>Rotates every enabled key whose <c>NextRotationAt</c> has passed (spec §10.2), checking every minute.</summary>
/// <remarks>
/// Safe across restarts: the due time is stored, so after downtime an overdue key rotates once and its
/// next rotation is counted from then. Disabled keys wait until they are enabled again.
/// </remarks>
public sealed class KeyRotationScheduler(
    IDbContextFactory<KmsDbContext> dbFactory, EnvelopeEncryptor envelope, RootKey rootKey, AuditLog audit, TimeProvider clock,
    ILogger<KeyRotationScheduler> logger)
    : BackgroundService
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromMinutes(1);

    /// <summary>The actor name of scheduled rotations in the audit log.</summary>
    public const string ActorName = "rotation-scheduler";

    /// <summary>Rotates the keys that are due now; returns how many were rotated.</summary>
    public async Task<int> RunDueRotationsAsync(CancellationToken ct)
    {
        DateTime now = clock.GetUtcNow().UtcDateTime;
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        var due = await db.Keys.AsNoTracking()
            .Where(k => k.RotationEnabled && !k.IsDisabled && k.NextRotationAt != null && k.NextRotationAt <= now)
            .Select(k => new { k.Id, k.ProjectId, k.OrganizationId }).ToListAsync(ct);
        int rotated = 0;
        foreach (var candidate in due)
        {
            AuditEntry record = audit.Entry(AuditActor.System(ActorName), candidate.OrganizationId, RequestOrigin.None, AuditEventTypes.Rotate)
                .Target(candidate.ProjectId, candidate.Id).With("scheduled", true);
            KmsKey? key;
            try
            {
                key = await KeyRotation.RotateAsync(db, envelope, audit, record, candidate.Id, now, onlyIfDue: true, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await audit.WriteAsync([record], e);
                throw;
            }

            if (key is not null)
            {
                rotated++;
                logger.LogInformation("Rotated key {KeyId} to version {Version} on schedule.", key.Id, key.Version);
            }
        }

        return rotated;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (rootKey.IsLoaded)
                {
                    await RunDueRotationsAsync(stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One bad round must not stop the scheduler; the keys stay due and are tried next round.
                logger.LogError(e, "Scheduled key rotation failed; retrying in {Interval}.", CheckInterval);
            }

            await Task.Delay(CheckInterval, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
