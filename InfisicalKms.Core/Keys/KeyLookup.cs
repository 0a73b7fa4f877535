using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Keys;

/// <summary>The checks K2–K5 of spec §2.6, written once for every route that takes a key ID.</summary>
internal static class KeyLookup
{
    /// <summary>
    /// Finds the key, resolves the caller's role in the key's own project, then checks the permissions,
    /// the disabled flag and the usage, in that order.
    /// </summary>
    /// <param name="audit">The operation's record: once the key is resolved it names the key, and the
    /// operation is recorded whatever happens next (spec §1.8 step 6). Null for unaudited reads.</param>
    /// <param name="tracked">Track the entity when the caller will modify it.</param>
    public static async Task<KmsKey> GetUsableKeyAsync(
        KmsDbContext db, Actor actor, KeyRef keyRef, AuditEntry? audit, CancellationToken ct,
        Permission[] permissions, bool disabledCheck = false, KeyUsage? usage = null, bool tracked = false)
    {
        IQueryable<KmsKey> keys = tracked ? db.Keys : db.Keys.AsNoTracking();
        KmsKey? key = await keys.FirstOrDefaultAsync(k => k.Id == keyRef.Id, ct);
        ProjectRole? role = key is null ? null : await ProjectAccess.EffectiveRoleAsync(db, actor, key.ProjectId, key.OrganizationId, ct);
        if (key is null || role is null)
        {
            throw KmsNotFoundException.Key(keyRef.AsSent);
        }

        audit?.Target(key.ProjectId, key.Id);
        ProjectAccess.Demand(role.Value, permissions);
        if (disabledCheck && key.IsDisabled)
        {
            throw new KeyDisabledException();
        }

        if (usage is { } expected && key.Usage != expected)
        {
            throw new KmsBadRequestException($"Unsupported key type, expected {expected.ToWire()} but got {key.Usage.ToWire()}");
        }

        return key;
    }
}
