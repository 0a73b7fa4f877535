using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InfisicalKms.Core.Health;

/// <summary>The instance root key is unwrapped and held in memory, so stored keys can be unwrapped.</summary>
internal sealed class RootKeyHealthCheck(RootKeys.RootKey rootKey) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(rootKey.IsLoaded
            ? HealthCheckResult.Healthy($"the root key is loaded ({rootKey.Status?.Strategy.ToString().ToUpperInvariant()})")
            : HealthCheckResult.Unhealthy("the root key is not loaded"));
}
