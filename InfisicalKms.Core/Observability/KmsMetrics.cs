using System.Diagnostics;
using System.Diagnostics.Metrics;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Caching;

namespace InfisicalKms.Core.Observability;

/// <summary>
/// The product's own instruments, on the meter <see cref="MeterName"/>: cryptographic operations by kind,
/// algorithm and outcome, and lookups of the hot path's caches. The audit writer's instruments are on
/// <see cref="AuditWriter.MeterName"/>; the web tier exports both (<c>/metrics</c>).
/// </summary>
/// <remarks>Tags are small closed sets (operation, algorithm, outcome, cache name): never a key ID, an actor or any data.</remarks>
public sealed class KmsMetrics
{
    public const string MeterName = "InfisicalKms";

    public const string OperationsCounter = "crypto.operations";

    public const string CacheLookupsCounter = "cache.lookups";

    private static readonly Dictionary<string, string> Operations = new(StringComparer.Ordinal)
    {
        [AuditEventTypes.Encrypt] = "encrypt",
        [AuditEventTypes.Decrypt] = "decrypt",
        [AuditEventTypes.Sign] = "sign",
        [AuditEventTypes.Verify] = "verify",
        [AuditEventTypes.GenerateMac] = "mac",
        [AuditEventTypes.VerifyMac] = "mac-verify",
        [AuditEventTypes.GenerateDataKey] = "data-key",
        [AuditEventTypes.Rewrap] = "rewrap",
    };

    private readonly Counter<long> _operations;

    public KmsMetrics(IMeterFactory meters, CacheStatistics caches)
    {
        Meter meter = meters.Create(MeterName);
        _operations = meter.CreateCounter<long>(OperationsCounter, "{operation}",
            "Cryptographic operations by operation, key algorithm and outcome (a batch counts once)");
        meter.CreateObservableCounter(CacheLookupsCounter, caches.Observe, "{lookup}",
            "Lookups in the hot path's in-memory caches, by cache and result (hit or miss)");
    }

    /// <summary>Counts <paramref name="entry"/> if it is a cryptographic operation; other events are not counted here.</summary>
    /// <param name="entry">Its algorithm is the key's, once the key was resolved; <c>unknown</c> before (an unknown key).</param>
    public void Operation(AuditEntry entry, bool success)
    {
        if (Operations.TryGetValue(entry.EventType, out string? operation))
        {
            var tags = new TagList
            {
                { "operation", operation },
                { "algorithm", entry.KeyAlgorithm ?? "unknown" },
                { "outcome", success ? "success" : "failure" },
            };
            _operations.Add(1, tags);
        }
    }
}
