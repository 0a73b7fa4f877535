using InfisicalKms.Core.Access;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Audit;

/// <summary>Filters and paging of spec §10.7.1. Dates: start inclusive, end exclusive.</summary>
public sealed record AuditQuery(
    int Offset = 0, int Limit = 20, string? EventType = null, Guid? KeyId = null, Guid? ActorId = null,
    DateTime? StartDate = null, DateTime? EndDate = null);

public sealed record AuditPage(IReadOnlyList<AuditEvent> Events, int TotalCount);

/// <summary>
/// The result of walking a chain (spec §10.7.2). <see cref="Problem"/> says in words what failed, for people;
/// it is not part of the API response.
/// </summary>
public sealed record AuditChainReport(bool Valid, long Checked, Guid? FirstInvalidId, string? Problem)
{
    public static AuditChainReport Intact(long count) => new(true, count, null, null);
}

/// <summary>Reading and verifying audit chains. Reads are not themselves audited.</summary>
public sealed class AuditLogService(IDbContextFactory<KmsDbContext> dbFactory)
{
    /// <summary>A project's records, newest first.</summary>
    public async Task<AuditPage> QueryAsync(Actor actor, string projectId, AuditQuery query, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, ct, Permission.ReadAuditLogs);
        return await PageAsync(db, project.Id, query, ct);
    }

    public async Task<AuditChainReport> VerifyAsync(Actor actor, string projectId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, ct, Permission.ReadAuditLogs);
        return await VerifyChainAsync(db, project.Id, ct);
    }

    /// <summary>The organization chain (logins, tokens, identities, project deletion): organization admins only.</summary>
    public async Task<AuditPage> QueryOrganizationAsync(Actor actor, AuditQuery query, CancellationToken ct)
    {
        RequireOrgAdmin(actor);
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        return await PageAsync(db, actor.OrganizationId, query, ct);
    }

    public async Task<AuditChainReport> VerifyOrganizationAsync(Actor actor, CancellationToken ct)
    {
        RequireOrgAdmin(actor);
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        return await VerifyChainAsync(db, actor.OrganizationId, ct);
    }

    /// <summary>
    /// Walks a chain in order from its checkpoint, recomputing every hash and link; stops at the first
    /// failure. Also compares the end of the walk with the stored head, which catches removal of the
    /// newest records (undetectable from the records alone), and the checkpoint with the pruning record
    /// that announced it.
    /// </summary>
    internal static async Task<AuditChainReport> VerifyChainAsync(KmsDbContext db, Guid chainId, CancellationToken ct)
    {
        AuditChainHead? head = await db.AuditChainHeads.AsNoTracking().FirstOrDefaultAsync(h => h.ChainId == chainId, ct);
        if (head is null)
        {
            return await db.AuditEvents.AnyAsync(e => e.ChainId == chainId, ct)
                ? new AuditChainReport(false, 0, null, "The chain's head record is missing.")
                : AuditChainReport.Intact(0);
        }

        string expectedPrev = head.AnchorHash;
        long expectedIndex = head.FirstIndex;
        long verified = 0;
        string? checkpointAnchor = null;
        IAsyncEnumerable<AuditEvent> records = db.AuditEvents.AsNoTracking()
            .Where(e => e.ChainId == chainId && e.ChainIndex >= head.FirstIndex)
            .OrderBy(e => e.ChainIndex).AsAsyncEnumerable();
        await foreach (AuditEvent record in records.WithCancellation(ct))
        {
            string? problem =
                record.ChainIndex != expectedIndex ? "A record before it is missing or out of place."
                : record.PrevHash != expectedPrev ? "Its prevHash does not match the hash of the record before it."
                : !AuditHash.Matches(record) ? "Its contents do not match its hash: the record was modified."
                : null;
            if (problem is not null)
            {
                return new AuditChainReport(false, verified, record.Id, problem);
            }

            if (record.EventType == AuditEventTypes.AuditLogPruned)
            {
                checkpointAnchor = record.Metadata.GetValueOrDefault("anchorHash");
            }

            expectedPrev = record.Hash;
            expectedIndex++;
            verified++;
        }

        if (expectedIndex - 1 != head.LastIndex || expectedPrev != head.LastHash)
        {
            return new AuditChainReport(false, verified, null, "The newest records of the chain are missing.");
        }

        if (head.FirstIndex > 1 && checkpointAnchor != head.AnchorHash)
        {
            return new AuditChainReport(false, verified, null, "The retention checkpoint does not match the pruning record that set it.");
        }

        return AuditChainReport.Intact(verified);
    }

    private static async Task<AuditPage> PageAsync(KmsDbContext db, Guid chainId, AuditQuery query, CancellationToken ct)
    {
        IQueryable<AuditEvent> records = db.AuditEvents.AsNoTracking().Where(e => e.ChainId == chainId);
        if (query.EventType is { } type)
        {
            records = records.Where(e => e.EventType == type);
        }

        if (query.KeyId is { } keyId)
        {
            records = records.Where(e => e.KeyId == keyId);
        }

        if (query.ActorId is { } actorId)
        {
            records = records.Where(e => e.ActorId == actorId);
        }

        if (query.StartDate is { } start)
        {
            records = records.Where(e => e.CreatedAt >= start);
        }

        if (query.EndDate is { } end)
        {
            records = records.Where(e => e.CreatedAt < end);
        }

        int total = await records.CountAsync(ct);
        List<AuditEvent> page = await records.OrderByDescending(e => e.ChainIndex)
            .Skip(query.Offset).Take(query.Limit).ToListAsync(ct);
        return new AuditPage(page, total);
    }

    private static void RequireOrgAdmin(Actor actor)
    {
        if (!actor.IsOrgAdmin)
        {
            throw new KmsPermissionDeniedException("read", Permission.Subjects.AuditLogs);
        }
    }
}
