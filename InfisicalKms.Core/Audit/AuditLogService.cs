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

/// <summary>A key that no longer exists, with the name its deletion record gave it.</summary>
public sealed record DeletedKey(Guid Id, string Name, DateTime DeletedAt);

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

    /// <summary>
    /// The keys of the project that have been deleted, newest deletion first, with the names their deletion
    /// records kept: the audit log's pages name a deleted key by them.
    /// </summary>
    public async Task<IReadOnlyList<DeletedKey>> DeletedKeysAsync(Actor actor, string projectId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, ct, Permission.ReadAuditLogs);
        return await DeletedKeysAsync(db, project.Id, null, ct);
    }

    /// <summary>The names <paramref name="keyIds"/> had when they were deleted (those that were).</summary>
    internal static async Task<IReadOnlyDictionary<Guid, string>> DeletedKeyNamesAsync(
        KmsDbContext db, Guid projectId, IReadOnlyCollection<Guid> keyIds, CancellationToken ct) =>
        keyIds.Count == 0
            ? new Dictionary<Guid, string>()
            : (await DeletedKeysAsync(db, projectId, keyIds, ct)).ToDictionary(k => k.Id, k => k.Name);

    /// <remarks>
    /// Deletion records are indexed on their own (<c>IX_AuditEvents_DeletedKeys</c>, partial on the event type),
    /// so this reads only them, however long the project's log.
    /// </remarks>
    private static async Task<IReadOnlyList<DeletedKey>> DeletedKeysAsync(
        KmsDbContext db, Guid projectId, IReadOnlyCollection<Guid>? keyIds, CancellationToken ct)
    {
        IQueryable<AuditEvent> deletions = db.AuditEvents.AsNoTracking()
            .Where(e => e.ProjectId == projectId && e.EventType == AuditEventTypes.DeleteKey && e.KeyId != null && e.Outcome == "success");
        if (keyIds is not null)
        {
            deletions = deletions.Where(e => keyIds.Contains(e.KeyId!.Value));
        }

        var records = await deletions.Select(e => new { KeyId = e.KeyId!.Value, e.Metadata, e.CreatedAt }).ToListAsync(ct);
        return [.. records
            .GroupBy(r => r.KeyId).Select(g => g.MaxBy(r => r.CreatedAt)!)
            .OrderByDescending(r => r.CreatedAt)
            .Select(r => new DeletedKey(r.KeyId, r.Metadata.GetValueOrDefault("keyName") ?? r.KeyId.ToString(), DateTime.SpecifyKind(r.CreatedAt, DateTimeKind.Utc)))];
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

    /// <summary>The organization chain named by the caller (the API): another organization is "not found", as in spec §9.7.</summary>
    public Task<AuditChainReport> VerifyOrganizationAsync(Actor actor, Guid organizationId, CancellationToken ct) =>
        organizationId == actor.OrganizationId
            ? VerifyOrganizationAsync(actor, ct)
            : throw new KmsNotFoundException($"Organization with ID \"{organizationId}\" not found");

    /// <summary>
    /// Walks a chain in order from its checkpoint up to its stored head, recomputing every hash and link;
    /// stops at the first failure. Also compares the end of the walk with the head, which catches removal of
    /// the newest records (undetectable from the records alone), the checkpoint with the pruning record
    /// that announced it, and looks for records beyond the head.
    /// </summary>
    /// <remarks>
    /// The head is read before the records, so a record appended meanwhile lies beyond it: that is not
    /// tampering (its head moved in the same transaction and is read again to tell), and it is verified next
    /// time. A record beyond the head as it stands afterwards was written outside the audit log.
    /// </remarks>
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
            .Where(e => e.ChainId == chainId && e.ChainIndex >= head.FirstIndex && e.ChainIndex <= head.LastIndex)
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

        return await FindForgedTailAsync(db, chainId, head.LastIndex, ct) is { } forged
            ? new AuditChainReport(false, verified, forged, "It lies beyond the chain's head: it was not written by the audit log.")
            : AuditChainReport.Intact(verified);
    }

    /// <summary>The first record beyond the chain's current head, if any: records and head always commit together.</summary>
    private static async Task<Guid?> FindForgedTailAsync(KmsDbContext db, Guid chainId, long walkedTo, CancellationToken ct)
    {
        var beyond = await db.AuditEvents.AsNoTracking().Where(e => e.ChainId == chainId && e.ChainIndex > walkedTo)
            .OrderBy(e => e.ChainIndex).Select(e => new { e.Id, e.ChainIndex }).ToListAsync(ct);
        if (beyond.Count == 0)
        {
            return null;
        }

        // Read after the records: every legitimate one among them has its head committed by now.
        long head = await db.AuditChainHeads.AsNoTracking().Where(h => h.ChainId == chainId).Select(h => (long?)h.LastIndex).FirstOrDefaultAsync(ct) ?? walkedTo;
        return beyond.FirstOrDefault(e => e.ChainIndex > head)?.Id;
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
