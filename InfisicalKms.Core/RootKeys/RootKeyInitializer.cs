using System.Security.Cryptography;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Core.RootKeys;

/// <summary>
/// Start-up of the key hierarchy (spec §11.2–§11.3, §11.6): creates the root key on a new instance, or
/// unwraps the stored one with the recorded strategy, self-tests the wrapping key, and installs the key.
/// </summary>
/// <remarks>
/// Start-up never changes the stored strategy or wrapping key: that is the root-key command's job. Every
/// refusal is a <see cref="RootKeyConfigurationException"/> whose message names the variable at fault.
/// </remarks>
public sealed class RootKeyInitializer(
    IDbContextFactory<KmsDbContext> dbFactory, RootKey rootKey, RootKeySettings settings, TimeProvider clock, ILogger<RootKeyInitializer> logger)
{
    private const string SoftwareMechanism = "AES-256-GCM";

    public async Task InitializeAsync(CancellationToken ct)
    {
        if (settings.RootEncryptionKeyIgnored)
        {
            logger.LogWarning("Both ENCRYPTION_KEY and ROOT_ENCRYPTION_KEY are set; ENCRYPTION_KEY wins and ROOT_ENCRYPTION_KEY is ignored.");
        }

        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        RootKeyRecord? record = await db.RootKeys.AsNoTracking().FirstOrDefaultAsync(r => r.Id == RootKeyRecord.SingletonId, ct);
        if (record is null)
        {
            using IRootKeyProtectorLease lease = ProtectorForNewInstance();
            SelfTest(lease.Protector);
            byte[] fresh = RandomNumberGenerator.GetBytes(RootKey.Size);
            DateTime now = clock.GetUtcNow().UtcDateTime;
            db.RootKeys.Add(new RootKeyRecord
            {
                Strategy = lease.Protector.Strategy,
                Mechanism = SoftwareMechanism,
                WrappedKey = lease.Protector.Wrap(fresh),
                CreatedAt = now,
                UpdatedAt = now,
            });
            try
            {
                await db.SaveChangesAsync(ct);
                rootKey.Install(fresh, new RootKeyStatus(lease.Protector.Strategy, lease.Protector.Source));
                logger.LogInformation("Created the instance root key, wrapped by {Source}.", lease.Protector.Source);
                return;
            }
            catch (DbUpdateException)
            {
                // Another instance created it first: unwrap theirs like any existing root key.
                CryptographicOperations.ZeroMemory(fresh);
                db.ChangeTracker.Clear();
                record = await db.RootKeys.AsNoTracking().FirstAsync(r => r.Id == RootKeyRecord.SingletonId, ct);
            }
        }

        LoadExisting(record);
    }

    private void LoadExisting(RootKeyRecord record)
    {
        if (record.Strategy == RootKeyStrategy.Hsm)
        {
            throw new RootKeyConfigurationException(settings.HsmConfigured
                ? "The root key is protected by an HSM, but this build has no PKCS#11 support yet."
                : "The root key is protected by an HSM, but HSM_LIB_PATH, HSM_PIN and HSM_KEY_LABEL are not set.");
        }

        if (settings.HsmConfigured)
        {
            logger.LogWarning("An HSM is configured, but the stored root key is wrapped by SOFTWARE; starting with SOFTWARE. " +
                "Run 'root-key migrate --to hsm' to move it into the HSM.");
        }

        string failure;
        IRootKeyProtectorLease? lease;
        if (settings.EnvironmentKey is not null)
        {
            lease = new Lease(new SoftwareRootKeyProtector(settings.EnvironmentKey, settings.EnvironmentKeyVariable!));
            failure = $"{settings.EnvironmentKeyVariable} cannot decrypt the stored root key. It is not the key this instance was initialised with.";
        }
        else if (settings.IsDevelopment)
        {
            lease = DevKeyFile.TryOpen(settings.DevKeyFilePath, logger);
            failure = $"The development key file {settings.DevKeyFilePath} cannot decrypt the stored root key. " +
                "Set the ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY the instance was initialised with.";
        }
        else
        {
            throw new RootKeyConfigurationException("The root key is protected by ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY, but neither is set.");
        }

        using (lease)
        {
            byte[] key = lease?.Protector.TryUnwrap(record.WrappedKey) ?? throw new RootKeyConfigurationException(failure);
            SelfTest(lease!.Protector);
            rootKey.Install(key, new RootKeyStatus(lease.Protector.Strategy, lease.Protector.Source));
        }
    }

    private IRootKeyProtectorLease ProtectorForNewInstance()
    {
        if (settings.HsmConfigured)
        {
            throw new RootKeyConfigurationException("HSM_LIB_PATH, HSM_PIN and HSM_KEY_LABEL are set, but this build has no PKCS#11 support yet.");
        }

        if (settings.EnvironmentKey is not null)
        {
            return new Lease(new SoftwareRootKeyProtector(settings.EnvironmentKey, settings.EnvironmentKeyVariable!));
        }

        if (settings.IsDevelopment)
        {
            return DevKeyFile.OpenOrCreate(settings.DevKeyFilePath, logger);
        }

        throw new RootKeyConfigurationException("Refusing to start in Production: set ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY, " +
            "or configure an HSM (HSM_LIB_PATH, HSM_PIN, HSM_KEY_LABEL).");
    }

    /// <summary>Wrap and unwrap 32 random bytes: a wrapping key that cannot round-trip stops start-up.</summary>
    private static void SelfTest(IRootKeyProtector protector)
    {
        byte[] probe = RandomNumberGenerator.GetBytes(RootKey.Size);
        byte[]? back = protector.TryUnwrap(protector.Wrap(probe));
        bool ok = back is not null && CryptographicOperations.FixedTimeEquals(probe, back);
        CryptographicOperations.ZeroMemory(probe);
        if (back is not null)
        {
            CryptographicOperations.ZeroMemory(back);
        }

        if (!ok)
        {
            throw new RootKeyConfigurationException($"The root-key self-test failed: {protector.Source} cannot wrap and unwrap.");
        }
    }

    private sealed class Lease(IRootKeyProtector protector) : IRootKeyProtectorLease
    {
        public IRootKeyProtector Protector { get; } = protector;

        public void Dispose() => (Protector as IDisposable)?.Dispose();
    }
}

/// <summary>A protector that is disposed (its key zeroed) once start-up no longer needs it.</summary>
internal interface IRootKeyProtectorLease : IDisposable
{
    IRootKeyProtector Protector { get; }
}
