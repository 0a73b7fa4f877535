using System.Security.Cryptography;
using InfisicalKms.Core.RootKeys.Pkcs11;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Core.RootKeys;

/// <summary>
/// Start-up of the key hierarchy (spec §11.2–§11.4, §11.6): creates the root key on a new instance, or
/// unwraps the stored one with the recorded strategy, self-tests the wrapping key, and installs the key.
/// </summary>
/// <remarks>
/// Start-up never changes the stored strategy or wrapping key: that is the root-key command's job. HSM keys
/// are generated only for an instance that has no root key yet; on an initialised instance a missing HSM
/// key is a refusal, because a new key could never unwrap the stored root key. Every refusal is a
/// <see cref="RootKeyConfigurationException"/> whose message names the variable at fault.
/// </remarks>
public sealed class RootKeyInitializer(
    IDbContextFactory<KmsDbContext> dbFactory, RootKey rootKey, RootKeySettings settings, TimeProvider clock, ILogger<RootKeyInitializer> logger)
{
    private readonly RootKeyProtectors _protectors = new(settings, logger);

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
            IRootKeyProtector protector = lease.Protector;
            SelfTest(protector);
            byte[] fresh = protector.GenerateRootKey();   // from the HSM's generator when an HSM wraps it
            DateTime now = clock.GetUtcNow().UtcDateTime;
            db.RootKeys.Add(new RootKeyRecord
            {
                Strategy = protector.Strategy,
                Mechanism = protector.Mechanism,
                WrappedKey = protector.Wrap(fresh),
                CreatedAt = now,
                UpdatedAt = now,
            });
            try
            {
                await db.SaveChangesAsync(ct);
                rootKey.Install(fresh, protector.Status);
                logger.LogInformation("Created the instance root key, wrapped by {Source} ({Mechanism}).", protector.Source, protector.Mechanism);
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
        IRootKeyProtectorLease lease;
        string failure;
        if (record.Strategy == RootKeyStrategy.Hsm)
        {
            HsmSettings hsm = settings.Hsm ?? throw new RootKeyConfigurationException(HsmMessages.NotConfigured);
            if (settings.EnvironmentKeyVariable is { } variable)
            {
                logger.LogWarning("{Variable} is set, but the stored root key is wrapped by the HSM; starting with the HSM. " +
                    "Run 'root-key migrate --to software' to move it to {Variable}.", variable, variable);
            }

            lease = _protectors.OpenHsm(record.Mechanism, allowKeyGeneration: false);
            failure = HsmMessages.CannotDecrypt(hsm.KeyLabel);
        }
        else
        {
            if (settings.HsmConfigured)
            {
                logger.LogWarning("An HSM is configured, but the stored root key is wrapped by SOFTWARE; starting with SOFTWARE. " +
                    "Run 'root-key migrate --to hsm' to move it into the HSM.");
            }

            lease = _protectors.OpenSoftware(out failure);
        }

        using (lease)
        {
            byte[] key = lease.Protector.TryUnwrap(record.WrappedKey) ?? throw new RootKeyConfigurationException(failure);
            try
            {
                SelfTest(lease.Protector);
            }
            catch
            {
                CryptographicOperations.ZeroMemory(key);
                throw;
            }

            rootKey.Install(key, lease.Protector.Status);
            logger.LogInformation("Unwrapped the instance root key with {Source} ({Mechanism}).", lease.Protector.Source, lease.Protector.Mechanism);
        }
    }

    private IRootKeyProtectorLease ProtectorForNewInstance()
    {
        if (settings.HsmConfigured)
        {
            return _protectors.OpenHsm(recordedMechanism: null, allowKeyGeneration: true);
        }

        if (_protectors.OpenEnvironmentKey() is { } lease)
        {
            return lease;
        }

        if (settings.IsDevelopment)
        {
            return DevKeyFile.OpenOrCreate(settings.DevKeyFilePath, logger);
        }

        throw new RootKeyConfigurationException("Refusing to start in Production: set ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY, " +
            "or configure an HSM (HSM_LIB_PATH, HSM_PIN, HSM_KEY_LABEL).");
    }

    /// <summary>Wrap and unwrap 32 random bytes: a wrapping key that cannot round-trip stops start-up.</summary>
    internal static void SelfTest(IRootKeyProtector protector)
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
}
