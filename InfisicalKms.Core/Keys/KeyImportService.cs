using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Keys;

/// <summary>Bulk import with Infisical's partial-success model (spec §7.15): how a team moves keys in.</summary>
public sealed class KeyImportService(IDbContextFactory<KmsDbContext> dbFactory, EnvelopeEncryptor envelope, TimeProvider clock, AuditLog audit)
{
    /// <summary>Imports each entry independently, in order; a failed entry reports its message and imports nothing.</summary>
    /// <remarks>
    /// Each imported key commits with its own <c>cmek-import</c> record. A request refused as a whole after
    /// the project was resolved records one failure without a key (spec §10.7.4).
    /// </remarks>
    public Task<IReadOnlyList<ImportResult>> ImportAsync(Actor actor, string projectId, IReadOnlyList<ImportEntry> entries, CancellationToken ct)
    {
        AuditEntry request = audit.Entry(actor, AuditEventTypes.Import);
        return audit.RunAsync<IReadOnlyList<ImportResult>>(request, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            (Projects.Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, request, ct, Permission.CreateKey);
            var results = new List<ImportResult>();
            foreach (ImportEntry entry in entries)
            {
                string? error = await ImportOneAsync(db, actor, project, projectId, entry, ct);
                results.Add(new ImportResult(entry.Name, error is null ? await db.Keys.AsNoTracking().FirstAsync(k => k.ProjectId == project.Id && k.Name == entry.Name, ct) : null, error));
            }

            AuditLog.MarkCommitted(request);   // the per-key records stand for the request
            return results;
        });
    }

    private async Task<string?> ImportOneAsync(KmsDbContext db, Actor actor, Projects.Project project, string projectIdAsSent, ImportEntry entry, CancellationToken ct)
    {
        string duplicate = $"A KMS key with the name \"{entry.Name}\" already exists for the project with ID \"{projectIdAsSent}\"";
        if (await db.Keys.AnyAsync(k => k.ProjectId == project.Id && k.Name == entry.Name, ct))
        {
            return duplicate;
        }

        byte[] material;
        byte[]? publicKey = null;
        if (entry.Algorithm.Usage() == KeyUsage.SignVerify)
        {
            if (!PrivateKeyPem.TryImportAsymmetric(entry.Algorithm, entry.KeyMaterial, out material, out byte[] spki, out string? pemError))
            {
                return pemError;
            }

            publicKey = spki;
        }
        else if (MaterialLengthError(entry.Algorithm, entry.KeyMaterial.Length) is { } lengthError)
        {
            return lengthError;
        }
        else
        {
            material = entry.KeyMaterial.ToArray();
        }

        using var owned = KeyMaterial.TakeOwnership(material);
        KmsKey key = NewKey.Add(db, envelope, project, entry.Name, entry.Description, entry.Algorithm, entry.IsExportable,
            owned.Span, publicKey, clock.GetUtcNow().UtcDateTime);
        AuditEntry record = audit.Entry(actor, AuditEventTypes.Import).Target(project.Id, key.Id)
            .With("keyName", key.Name).With("algorithm", key.Algorithm.ToWire());
        try
        {
            await audit.SaveAsync(record, db, ct);
            return null;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return duplicate;   // lost a race for the name
        }
    }

    /// <summary>Symmetric keys must be exactly their size; HMAC keys 16 bytes up to the hash block size.</summary>
    public static string? MaterialLengthError(KeyAlgorithm algorithm, int length)
    {
        string name = algorithm.ToWire();
        if (algorithm.Usage() == KeyUsage.EncryptDecrypt)
        {
            int expected = KeyGenerator.SymmetricKeySize(algorithm);
            return length == expected ? null : $"Invalid key material length for {name}. Expected {expected} bytes, got {length}.";
        }

        int max = MacComputer.BlockSize(algorithm);
        return length is >= 16 && length <= max ? null : $"Invalid key material length for {name}. Expected between 16 and {max} bytes, got {length}.";
    }
}

/// <summary>One validated bulk-import entry; <see cref="KeyMaterial"/> is raw bytes or PEM text.</summary>
public sealed record ImportEntry(string Name, string? Description, KeyAlgorithm Algorithm, byte[] KeyMaterial, bool IsExportable)
{
    public override string ToString() => $"ImportEntry({Name}, {Algorithm.ToWire()})";   // never the material
}

/// <summary>Either the imported key or the entry's error message.</summary>
public sealed record ImportResult(string Name, KmsKey? Key, string? Error);
