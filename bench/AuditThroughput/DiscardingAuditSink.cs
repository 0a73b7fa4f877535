using InfisicalKms.Core.Audit;

namespace AuditThroughput;

/// <summary>
/// The "auditing off" configuration: accepts records and drops them at once. Exists only in this benchmark
/// host; the product has no setting that turns auditing off.
/// </summary>
internal sealed class DiscardingAuditSink : IAuditSink
{
    public Task WriteAsync(IReadOnlyList<AuditEvent> records) => Task.CompletedTask;
}
