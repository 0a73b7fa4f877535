using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Core.Audit;

/// <summary>
/// Drains the audit writer when the host stops (SIGTERM, Ctrl-C, a service manager's stop), within the host's
/// shutdown timeout, and says how it went.
/// </summary>
/// <remarks>
/// It drains in <see cref="StoppedAsync"/>, after every hosted service has stopped, the web server first: by
/// then the server takes no new requests and the ones in flight have finished (or the timeout cut them off),
/// so every record an answered request waited for is already written, and the drain writes what is still
/// queued. A request still running after that is refused when it tries to audit, never answered unaudited.
/// If the timeout fires first, the records still queued are refused and the shutdown goes on.
/// </remarks>
public sealed class AuditWriterShutdown(AuditWriter writer, ILogger<AuditWriterShutdown> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Shutting down: no new requests are taken; finishing the requests in flight.");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        AuditDrainResult drain = await writer.DrainAsync(cancellationToken);
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (drain.TimedOut)
        {
            logger.LogError("Shutting down: the shutdown timeout ran out while the audit log was written; {Written} audit record(s) drained, " +
                "{Refused} still queued were refused, and so were the operations that produced them.", drain.Written, drain.Refused);
        }
        else
        {
            logger.LogInformation("Shutting down: drained {Written} audit record(s) in {Milliseconds:F0} ms; the audit log is complete.", drain.Written, ms);
        }
    }
}
