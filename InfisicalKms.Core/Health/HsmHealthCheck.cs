using InfisicalKms.Core.RootKeys;
using InfisicalKms.Core.RootKeys.Pkcs11;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Core.Health;

/// <summary>
/// When an HSM wraps the root key, its token is still there and its wrapping key still works: the token is
/// found by its label again, a session logs in, and 32 random bytes are wrapped and unwrapped. The root key
/// itself is in memory, so requests go on without the HSM, but a restart would not: the operator must know.
/// </summary>
internal sealed class HsmHealthCheck(RootKey rootKey, RootKeySettings settings, ILogger<HsmHealthCheck> logger) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        if (rootKey.Status is not { Strategy: RootKeyStrategy.Hsm } status || settings.Hsm is not { } hsm)
        {
            return Task.FromResult(HealthCheckResult.Healthy("no HSM: the root key is not wrapped by an HSM"));
        }

        // PKCS#11 calls block; the check runs on the pool so a slow token delays only this probe.
        return Task.Run(() =>
        {
            try
            {
                var protector = Pkcs11RootKeyProtector.Open(hsm, status.Mechanism, allowKeyGeneration: false, logger);
                RootKeyInitializer.SelfTest(protector);
                return HealthCheckResult.Healthy($"the HSM token \"{status.TokenLabel}\" wraps and unwraps");
            }
            catch (RootKeyConfigurationException refusal)
            {
                return HealthCheckResult.Unhealthy(refusal.Message);
            }
        }, ct);
    }
}
