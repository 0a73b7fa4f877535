using System.Globalization;
using System.Security.Cryptography;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.RootKeys.Pkcs11;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Core.RootKeys;

/// <summary>
/// The actions of the root-key command (spec §11.7): wrap the same root key under another wrapping key,
/// moving it between the environment key and the HSM, or from one environment key to a new one.
/// </summary>
/// <remarks>
/// Each action unwraps with the current wrapping, self-tests the target, wraps anew, checks that the new
/// wrap unwraps to the same bytes, and only then replaces the stored wrap, in one UPDATE that also
/// requires the stored wrap to be the one it unwrapped. An interruption at any point leaves the previous
/// wrap in force; running the action again finishes the job. Key material (<c>KeyVersions</c>) is never
/// read or written. An action whose target is already in place changes nothing and says so.
/// Each re-wrap commits with an organization audit record <c>root-key-rewrap</c> (spec §11.7).
/// </remarks>
public sealed class RootKeyRewrapper(
    IDbContextFactory<KmsDbContext> dbFactory, RootKeySettings settings, AuditLog audit, TimeProvider clock, ILogger<RootKeyRewrapper> logger)
{
    /// <summary>The actor name of re-wraps in the audit log.</summary>
    public const string ActorName = "root-key-command";

    private readonly RootKeyProtectors _protectors = new(settings, logger);

    /// <summary>Re-wraps a SOFTWARE root key under the configured HSM, generating the HSM keys if the token has none.</summary>
    public async Task<RootKeyRewrapResult> MigrateToHsmAsync(CancellationToken ct)
    {
        RootKeyRecord current = await LoadAsync(ct);
        HsmSettings hsm = settings.Hsm ?? throw new RootKeyConfigurationException(
            "migrate --to hsm needs the target HSM: set HSM_LIB_PATH, HSM_PIN and HSM_KEY_LABEL (and HSM_TOKEN_LABEL or HSM_SLOT).");
        if (current.Strategy == RootKeyStrategy.Hsm)
        {
            // Already there, provided the configured HSM really holds it: never generate keys for an HSM wrap.
            using IRootKeyProtectorLease same = _protectors.OpenHsm(current.Mechanism, allowKeyGeneration: false);
            CryptographicOperations.ZeroMemory(Unwrap(same.Protector, current, HsmMessages.CannotDecrypt(hsm.KeyLabel)));
            return new RootKeyRewrapResult(false,
                $"The root key is already wrapped by the {same.Protector.Source} ({current.Mechanism}); nothing to do.");
        }

        using IRootKeyProtectorLease from = _protectors.OpenSoftware(out string failure);
        byte[] rootKey = Unwrap(from.Protector, current, failure);
        try
        {
            using IRootKeyProtectorLease to = _protectors.OpenHsm(recordedMechanism: null, allowKeyGeneration: true);
            return await RewrapAsync("migrate --to hsm", current, rootKey, from.Protector, to.Protector, hint: null, ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(rootKey);
        }
    }

    /// <summary>Re-wraps an HSM root key under ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY.</summary>
    public async Task<RootKeyRewrapResult> MigrateToSoftwareAsync(CancellationToken ct)
    {
        RootKeyRecord current = await LoadAsync(ct);
        using IRootKeyProtectorLease to = _protectors.OpenEnvironmentKey() ?? throw new RootKeyConfigurationException(
            "migrate --to software needs the target key: set ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY.");
        if (current.Strategy == RootKeyStrategy.Software)
        {
            byte[] key = to.Protector.TryUnwrap(current.WrappedKey) ?? throw new RootKeyConfigurationException(
                RootKeyProtectors.EnvironmentKeyCannotDecrypt(to.Protector.Source) + " To change the environment key, use 'root-key rotate-env-key'.");
            CryptographicOperations.ZeroMemory(key);
            return new RootKeyRewrapResult(false, $"The root key is already wrapped by {to.Protector.Source} (SOFTWARE); nothing to do.");
        }

        HsmSettings hsm = settings.Hsm ?? throw new RootKeyConfigurationException(HsmMessages.NotConfigured);
        using IRootKeyProtectorLease from = _protectors.OpenHsm(current.Mechanism, allowKeyGeneration: false);
        byte[] rootKey = Unwrap(from.Protector, current, HsmMessages.CannotDecrypt(hsm.KeyLabel));
        try
        {
            string hint = $"Start the server with {to.Protector.Source} and without the HSM variables (or keep them: the stored strategy decides).";
            return await RewrapAsync("migrate --to software", current, rootKey, from.Protector, to.Protector, hint, ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(rootKey);
        }
    }

    /// <summary>Re-wraps a SOFTWARE root key from the current environment key to <paramref name="newKey"/>.</summary>
    /// <param name="newVariable">NEW_ENCRYPTION_KEY or NEW_ROOT_ENCRYPTION_KEY: where the new key came from.</param>
    public async Task<RootKeyRewrapResult> RotateEnvironmentKeyAsync(ReadOnlyMemory<byte> newKey, string newVariable, CancellationToken ct)
    {
        RootKeyRecord current = await LoadAsync(ct);
        if (current.Strategy != RootKeyStrategy.Software)
        {
            throw new RootKeyConfigurationException(
                "The root key is wrapped by an HSM; rotate-env-key re-wraps a root key wrapped by ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY.");
        }

        string target = newVariable == RootKeySettings.NewEncryptionKeyVariable
            ? RootKeySettings.EncryptionKeyVariable
            : RootKeySettings.RootEncryptionKeyVariable;
        string hint = $"Start the server with {target} set to the value of {newVariable}" +
            (target == RootKeySettings.RootEncryptionKeyVariable && settings.EnvironmentKeyVariable == RootKeySettings.EncryptionKeyVariable
                ? " and ENCRYPTION_KEY unset (it would win)." : ".");
        using IRootKeyProtectorLease to = new ProtectorLease(new SoftwareRootKeyProtector(newKey.Span, newVariable));
        if (to.Protector.TryUnwrap(current.WrappedKey) is { } already)
        {
            CryptographicOperations.ZeroMemory(already);
            return new RootKeyRewrapResult(false, $"The root key is already wrapped by {newVariable}; nothing to do. {hint}");
        }

        using IRootKeyProtectorLease from = _protectors.OpenSoftware(out string failure);
        byte[] rootKey = Unwrap(from.Protector, current, failure);
        try
        {
            return await RewrapAsync("rotate-env-key", current, rootKey, from.Protector, to.Protector, hint, ct);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(rootKey);
        }
    }

    /// <summary>How the stored root key is wrapped, without unwrapping it (for <c>root-key status</c>).</summary>
    public async Task<string> DescribeAsync(CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        RootKeyRecord? record = await db.RootKeys.AsNoTracking().FirstOrDefaultAsync(r => r.Id == RootKeyRecord.SingletonId, ct);
        string configured = string.Join(", ", new[]
        {
            settings.EnvironmentKeyVariable,
            settings.Hsm is { } hsm ? $"HSM key \"{hsm.KeyLabel}\" ({hsm.LibraryPath})" : null,
        }.Where(s => s is not null).DefaultIfEmpty("none"));
        string stored = record is null
            ? "Stored root key: none yet (the server creates it at first start)."
            : string.Create(CultureInfo.InvariantCulture,
                $"Stored root key: {record.Strategy.ToWire()} ({record.Mechanism}), created {record.CreatedAt:u}, last wrapped {record.UpdatedAt:u}.");
        return $"{stored}\nConfigured wrapping keys: {configured}.";
    }

    private async Task<RootKeyRecord> LoadAsync(CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RootKeys.AsNoTracking().FirstOrDefaultAsync(r => r.Id == RootKeyRecord.SingletonId, ct)
            ?? throw new RootKeyConfigurationException("There is no root key yet: start the server once to create it, then run this command.");
    }

    private static byte[] Unwrap(IRootKeyProtector protector, RootKeyRecord record, string failure) =>
        protector.TryUnwrap(record.WrappedKey) ?? throw new RootKeyConfigurationException(failure);

    private async Task<RootKeyRewrapResult> RewrapAsync(string action, RootKeyRecord current, byte[] rootKey,
        IRootKeyProtector from, IRootKeyProtector to, string? hint, CancellationToken ct)
    {
        RootKeyInitializer.SelfTest(to);
        byte[] wrapped = to.Wrap(rootKey);
        byte[]? check = to.TryUnwrap(wrapped);
        bool same = check is not null && CryptographicOperations.FixedTimeEquals(check, rootKey);
        if (check is not null)
        {
            CryptographicOperations.ZeroMemory(check);
        }

        if (!same)
        {
            throw new RootKeyConfigurationException($"The new wrap by {to.Source} does not unwrap to the same root key; nothing was changed.");
        }

        // One UPDATE, and only of the wrap this command unwrapped: a crash before it changes nothing, and a
        // concurrent re-wrap makes this one change nothing instead of overwriting it.
        DateTime now = clock.GetUtcNow().UtcDateTime;
        byte[] previous = current.WrappedKey;
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        int updated = await db.RootKeys
            .Where(r => r.Id == RootKeyRecord.SingletonId && r.WrappedKey == previous)
            .ExecuteUpdateAsync(set => set
                .SetProperty(r => r.Strategy, to.Strategy)
                .SetProperty(r => r.Mechanism, to.Mechanism)
                .SetProperty(r => r.WrappedKey, wrapped)
                .SetProperty(r => r.UpdatedAt, now), ct);
        if (updated != 1)
        {
            throw new RootKeyConfigurationException("The stored root key changed while the command ran; nothing was changed. Run the command again.");
        }

        // Before set-up there is no organization, hence no chain to record in.
        Guid organizationId = await db.InstanceOrganizationIdAsync(ct);
        if (organizationId != Guid.Empty)
        {
            AuditEntry record = audit.Entry(AuditActor.System(ActorName), organizationId, RequestOrigin.None, AuditEventTypes.RootKeyRewrap)
                .TargetOrganization().With("action", action).With("strategy", to.Strategy.ToWire());
            await audit.SaveAsync(record, db, ct);
        }

        await transaction.CommitAsync(ct);
        logger.LogInformation("{Action} re-wrapped the root key from {FromStrategy} ({FromSource}, {FromMechanism}) " +
            "to {ToStrategy} ({ToSource}, {ToMechanism}); no key material was changed.",
            action, from.Strategy.ToWire(), from.Source, from.Mechanism, to.Strategy.ToWire(), to.Source, to.Mechanism);
        string done = $"Re-wrapped the root key: {from.Strategy.ToWire()} ({from.Source}) -> {to.Strategy.ToWire()} ({to.Source}, {to.Mechanism}). " +
            "No stored key material was changed.";
        return new RootKeyRewrapResult(true, hint is null ? done : $"{done} {hint}");
    }
}

/// <summary>What a root-key action did: <see cref="Changed"/> is false when its target was already in place.</summary>
public sealed record RootKeyRewrapResult(bool Changed, string Message);
