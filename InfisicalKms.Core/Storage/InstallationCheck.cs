using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Envelope;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Core.Storage;

/// <summary>What <see cref="InstallationCheck"/> found: every chain intact, and how much it opened.</summary>
public sealed record InstallationCheckResult(int Chains, long AuditRecords, int KeyVersionsOpened, long KeyVersions);

/// <summary>
/// Opens an installation's database as the server would and checks it through (a restore's copy before it is
/// put in place): the root key unwraps with the configured wrapping key, every audit chain verifies, and a
/// sample of stored key versions unwraps under the root key.
/// </summary>
/// <remarks>
/// Only unwraps; nothing is decrypted for anyone and nothing is written apart from the migrations the server
/// would apply at start-up. Key material is disposed (zeroed) as soon as it has unwrapped.
/// </remarks>
public static class InstallationCheck
{
    /// <summary>Key versions unwrapped at most, chosen at random: every one of them when there are fewer.</summary>
    public const int KeySample = 1000;

    /// <exception cref="SqliteBackupException">A chain or a key version does not check out.</exception>
    /// <exception cref="RootKeys.RootKeyConfigurationException">The configured wrapping key cannot open the stored root key.</exception>
    public static async Task<InstallationCheckResult> RunAsync(IServiceProvider services, CancellationToken ct)
    {
        await services.InitializeKmsAsync(ct);   // migrations, then the root key unwrapped with the configured wrapping key
        await using KmsDbContext db = await services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync(ct);
        (int chains, long records) = await VerifyChainsAsync(db, ct);

        EnvelopeEncryptor envelope = services.GetRequiredService<EnvelopeEncryptor>();
        long total = await db.KeyVersions.LongCountAsync(ct);
        var sample = await db.KeyVersions.AsNoTracking().OrderBy(_ => EF.Functions.Random()).Take(KeySample)
            .Select(v => new { v.KeyId, v.Version, v.WrappedMaterial }).ToListAsync(ct);
        foreach (var version in sample)
        {
            try
            {
                envelope.Unwrap(version.KeyId, version.Version, version.WrappedMaterial).Dispose();   // zeroes it
            }
            catch (InvalidOperationException)
            {
                throw new SqliteBackupException($"Key {version.KeyId} version {version.Version} does not unwrap under the root key: the backup was modified.");
            }
        }

        return new InstallationCheckResult(chains, records, sample.Count, total);
    }

    /// <summary>Every chain that has a head or a record, walked as the audit API walks it; the first broken one refuses.</summary>
    private static async Task<(int Chains, long Records)> VerifyChainsAsync(KmsDbContext db, CancellationToken ct)
    {
        List<Guid> chains = [.. (await db.AuditChainHeads.Select(h => h.ChainId).ToListAsync(ct))
            .Union(await db.AuditEvents.Select(e => e.ChainId).Distinct().ToListAsync(ct)).Order()];
        long records = 0;
        foreach (Guid chain in chains)
        {
            AuditChainReport report = await AuditLogService.VerifyChainAsync(db, chain, ct);
            if (!report.Valid)
            {
                string at = report.FirstInvalidId is { } id ? $" at record {id}" : "";
                throw new SqliteBackupException($"The audit chain {chain} does not verify{at}: {report.Problem}");
            }

            records += report.Checked;
        }

        return (chains.Count, records);
    }
}
