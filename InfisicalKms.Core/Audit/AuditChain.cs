using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Audit;

/// <summary>
/// Links new records onto their chains: index, <c>prevHash</c> and <c>hash</c> (spec §10.7.3). Runs inside
/// the write transaction that inserts them, holding each chain's lock (SQLite: the database's write lock;
/// PostgreSQL: the chain's advisory lock, taken in one order), so the head it reads is the newest even with
/// several writers or instances; the unique (chain, index) pair backs that up.
/// </summary>
internal static class AuditChain
{
    public static async Task LinkAsync(KmsDbContext db, IReadOnlyList<AuditEvent> records, CancellationToken ct)
    {
        foreach (IGrouping<Guid, AuditEvent> chain in records.GroupBy(r => r.ChainId).OrderBy(c => KmsDatabase.LockKey(c.Key)))
        {
            await db.Database.LockAsync(LockScope.AuditChain, chain.Key, ct);
            AuditChainHead head = await LoadHeadAsync(db, chain.Key, ct);
            Link(head, chain);
            db.Entry(head).DetectChanges();   // saved even by a context that does not detect changes automatically
        }
    }

    /// <summary>Appends <paramref name="records"/>, all of <paramref name="head"/>'s chain and in order, after the head, and moves it.</summary>
    public static void Link(AuditChainHead head, IEnumerable<AuditEvent> records)
    {
        foreach (AuditEvent record in records)
        {
            record.ChainIndex = head.LastIndex + 1;
            record.PrevHash = head.LastHash;
            record.Hash = AuditHash.Compute(record);
            head.LastIndex = record.ChainIndex;
            head.LastHash = record.Hash;
        }
    }

    private static async Task<AuditChainHead> LoadHeadAsync(KmsDbContext db, Guid chainId, CancellationToken ct)
    {
        AuditChainHead? tracked = db.AuditChainHeads.Local.FirstOrDefault(h => h.ChainId == chainId);
        if (tracked is not null)
        {
            if (db.Entry(tracked).State != EntityState.Added)
            {
                await db.Entry(tracked).ReloadAsync(ct);   // another writer may have moved it since it was read
            }

            return tracked;
        }

        AuditChainHead? stored = await db.AuditChainHeads.FirstOrDefaultAsync(h => h.ChainId == chainId, ct);
        if (stored is not null)
        {
            return stored;
        }

        var created = new AuditChainHead { ChainId = chainId };
        db.AuditChainHeads.Add(created);
        return created;
    }
}
