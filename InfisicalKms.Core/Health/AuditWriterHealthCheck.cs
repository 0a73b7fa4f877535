using InfisicalKms.Core.Audit;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InfisicalKms.Core.Health;

/// <summary>
/// The audit writer takes records: it is not closed, and a probe record, written in turn with the batches and
/// rolled back, goes in. Every key operation waits for its record, so an instance whose records are refused
/// refuses its operations too (fail closed) and must not be sent traffic.
/// </summary>
internal sealed class AuditWriterHealthCheck(Audit.AuditWriter writer) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await writer.ProbeAsync().WaitAsync(ct);
            return HealthCheckResult.Healthy("the audit writer takes records");
        }
        catch (AuditUnavailableException)
        {
            return HealthCheckResult.Unhealthy(writer.Unavailable ?? "the audit writer refused a probe record");
        }
    }
}
