using InfisicalKms.Core.RootKeys.Pkcs11;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Core.RootKeys;

/// <summary>
/// Opens the wrapping key of each strategy from <see cref="RootKeySettings"/>, with the refusals of spec
/// §11.3. Shared by start-up (<see cref="RootKeyInitializer"/>) and the root-key command
/// (<see cref="RootKeyRewrapper"/>), so both read the same variables the same way.
/// </summary>
internal sealed class RootKeyProtectors(RootKeySettings settings, ILogger logger)
{
    /// <summary>The SOFTWARE key that protects an existing root key: the environment key, else in Development the key file.</summary>
    /// <param name="unwrapFailure">The §11.3 message for "this key cannot unwrap the stored root key".</param>
    public IRootKeyProtectorLease OpenSoftware(out string unwrapFailure)
    {
        if (OpenEnvironmentKey() is { } lease)
        {
            unwrapFailure = EnvironmentKeyCannotDecrypt(settings.EnvironmentKeyVariable!);
            return lease;
        }

        if (!settings.IsDevelopment)
        {
            throw new RootKeyConfigurationException("The root key is protected by ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY, but neither is set.");
        }

        unwrapFailure = $"The development key file {settings.DevKeyFilePath} cannot decrypt the stored root key. " +
            "Set the ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY the instance was initialised with.";
        return DevKeyFile.TryOpen(settings.DevKeyFilePath, logger) ?? throw new RootKeyConfigurationException(unwrapFailure);
    }

    /// <summary>ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY, or null when neither is set.</summary>
    public IRootKeyProtectorLease? OpenEnvironmentKey() => settings.EnvironmentKey is null
        ? null
        : new ProtectorLease(new SoftwareRootKeyProtector(settings.EnvironmentKey, settings.EnvironmentKeyVariable!));

    /// <summary>The configured HSM (spec §11.4).</summary>
    /// <param name="recordedMechanism">The stored HSM wrap's mechanism, or null for a new HSM wrap.</param>
    /// <param name="allowKeyGeneration">Whether missing HSM keys may be generated: never for an HSM-wrapped root key.</param>
    public IRootKeyProtectorLease OpenHsm(string? recordedMechanism, bool allowKeyGeneration)
    {
        HsmSettings hsm = settings.Hsm ?? throw new RootKeyConfigurationException(HsmMessages.NotConfigured);
        return new ProtectorLease(Pkcs11RootKeyProtector.Open(hsm, recordedMechanism, allowKeyGeneration, logger));
    }

    public static string EnvironmentKeyCannotDecrypt(string variable) =>
        $"{variable} cannot decrypt the stored root key. It is not the key this instance was initialised with.";
}

/// <summary>A protector that is disposed (its key zeroed) once start-up or the command no longer needs it.</summary>
internal interface IRootKeyProtectorLease : IDisposable
{
    IRootKeyProtector Protector { get; }
}

internal sealed class ProtectorLease(IRootKeyProtector protector) : IRootKeyProtectorLease
{
    public IRootKeyProtector Protector { get; } = protector;

    public void Dispose() => (Protector as IDisposable)?.Dispose();
}
