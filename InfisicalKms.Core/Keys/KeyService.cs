using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Keys;

/// <summary>Creates, reads, updates and deletes keys (spec §7.1–§7.6).</summary>
public sealed class KeyService(IDbContextFactory<KmsDbContext> dbFactory, EnvelopeEncryptor envelope, AuditLog audit, TimeProvider clock)
{
    public Task<KmsKey> CreateAsync(Actor actor, CreateKeyRequest request, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.CreateKey)
            .With("keyName", request.Name).With("algorithm", request.Algorithm.ToWire());
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            (Projects.Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, request.ProjectId, entry, ct, Permission.CreateKey);
            if (await db.Keys.AnyAsync(k => k.ProjectId == project.Id && k.Name == request.Name, ct))
            {
                throw DuplicateName(request.Name, request.ProjectId);
            }

            // RSA-4096 generation costs about a second of CPU: keep it off the request thread.
            using GeneratedKey generated = await Task.Run(() => KeyGenerator.Generate(request.Algorithm), ct);
            KmsKey key = NewKey.Add(db, envelope, project, request.Name, request.Description, request.Algorithm, request.IsExportable,
                generated.Material.Span, generated.PublicKey, clock.GetUtcNow().UtcDateTime);
            entry.Target(project.Id, key.Id);
            await SaveUniqueAsync(db, entry, key, request.ProjectId, ct);
            return key;
        });
    }

    public Task<KmsKey> GetAsync(Actor actor, KeyRef keyRef, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.GetKey);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            return await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.ReadKey]);
        });
    }

    public Task<KmsKey> GetByNameAsync(Actor actor, string keyName, string projectId, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.GetKey);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            var notFound = new KmsNotFoundException($"Key with name \"{keyName}\" not found for project with ID \"{projectId}\"");
            KmsKey? key = Uuids.TryParse(projectId, out Guid pid)
                ? await db.Keys.AsNoTracking().FirstOrDefaultAsync(k => k.ProjectId == pid && k.Name == keyName, ct)
                : null;
            ProjectRole? role = key is null ? null : await ProjectAccess.EffectiveRoleAsync(db, actor, key.ProjectId, key.OrganizationId, ct);
            if (key is null || role is null)
            {
                throw notFound;
            }

            entry.Target(key.ProjectId, key.Id);
            ProjectAccess.Demand(role.Value, Permission.ReadKey);
            return key;
        });
    }

    public Task<KeyPage> ListAsync(Actor actor, ListKeysRequest request, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.ListKeys);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            (Projects.Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, request.ProjectId, entry, ct, Permission.ReadKey);
            IQueryable<KmsKey> query = db.Keys.AsNoTracking().Where(k => k.ProjectId == project.Id);
            if (!string.IsNullOrEmpty(request.Search))
            {
                // Names are lower-case slugs, so a lower-cased literal substring is a case-insensitive match;
                // Contains is a literal match (no LIKE wildcards) on every provider.
                string search = request.Search.ToLowerInvariant();
                query = query.Where(k => k.Name.Contains(search));
            }

            // Without a search the total is the project's key count, kept by triggers (ProjectKeyCounts):
            // counting 100,000 keys was most of the time of the first page.
            int total = string.IsNullOrEmpty(request.Search)
                ? await db.Database.SqlQuery<int>($"SELECT \"Count\" AS \"Value\" FROM \"ProjectKeyCounts\" WHERE \"ProjectId\" = {project.Id}")
                    .SingleOrDefaultAsync(ct)
                : await query.CountAsync(ct);
            query = request.Descending ? query.OrderByDescending(k => k.Name) : query.OrderBy(k => k.Name);
            List<KmsKey> keys = await query.Skip(request.Offset).Take(request.Limit).ToListAsync(ct);
            return new KeyPage(keys, total);
        });
    }

    public Task<KmsKey> UpdateAsync(Actor actor, KeyRef keyRef, UpdateKeyRequest request, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.UpdateKey);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.EditKey], tracked: true);
            entry.With("keyName", key.Name);
            if (request.Name is { } name && name != key.Name)
            {
                if (await db.Keys.AnyAsync(k => k.ProjectId == key.ProjectId && k.Name == name && k.Id != key.Id, ct))
                {
                    throw DuplicateName(name, key.ProjectId.ToString());
                }

                key.Name = name;
            }

            if (request.Description is { } description)
            {
                key.Description = description;
            }

            if (request.IsDisabled is { } disabled)
            {
                if (key.IsDisabled && !disabled)
                {
                    await EnableKmipStateAsync(db, key, ct);
                }

                key.IsDisabled = disabled;
            }

            List<string> changed = db.Entry(key).Properties.Where(p => p.IsModified).Select(p => WireField(p.Metadata.Name)).ToList();
            entry.With("keyName", key.Name).With("changedFields", string.Join(',', changed));
            if (changed.Count > 0)
            {
                key.UpdatedAt = clock.GetUtcNow().UtcDateTime;
                await SaveUniqueAsync(db, entry, key, key.ProjectId.ToString(), ct);
            }

            return key;
        });
    }

    /// <summary>Hard delete of the key and every version: whatever it protected becomes unusable.</summary>
    public Task<KmsKey> DeleteAsync(Actor actor, KeyRef keyRef, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.DeleteKey);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmsKey key = await KeyLookup.GetUsableKeyAsync(db, actor, keyRef, entry, ct, [Permission.DeleteKey], tracked: true);
            entry.With("keyName", key.Name);
            db.Keys.Remove(key);   // versions go with it: the foreign key cascades
            await audit.SaveAsync(entry, db, ct);
            return key;
        });
    }

    /// <summary>
    /// Enabling a key made over KMIP activates it when it is Pre-Active; a key revoked over KMIP (Deactivated or
    /// Compromised) stays disabled for good, as KMIP's lifecycle says.
    /// </summary>
    private async Task EnableKmipStateAsync(KmsDbContext db, KmsKey key, CancellationToken ct)
    {
        KmipKeyState? state = await db.KmipKeyStates.FirstOrDefaultAsync(s => s.KeyId == key.Id, ct);
        if (state is null)
        {
            return;
        }

        if (state.State is KmipState.Deactivated or KmipState.Compromised)
        {
            throw new KmsBadRequestException($"Key was revoked over KMIP ({(state.State == KmipState.Compromised ? "compromised" : "deactivated")}) and cannot be enabled again");
        }

        state.State = KmipState.Active;
        state.ActivationDate = clock.GetUtcNow().UtcDateTime;
    }

    private static string WireField(string property) => property switch
    {
        nameof(KmsKey.Name) => "name",
        nameof(KmsKey.Description) => "description",
        nameof(KmsKey.IsDisabled) => "isDisabled",
        _ => property,
    };

    private static KmsBadRequestException DuplicateName(string name, string projectId) =>
        new($"A KMS key with the name \"{name}\" already exists for the project with ID \"{projectId}\"");

    private Task SaveUniqueAsync(KmsDbContext db, AuditEntry entry, KmsKey key, string projectId, CancellationToken ct) =>
        audit.SaveUniqueAsync(entry, db,
            c => db.Keys.AsNoTracking().AnyAsync(k => k.ProjectId == key.ProjectId && k.Name == key.Name && k.Id != key.Id, c),
            () => DuplicateName(key.Name, projectId), ct);
}
