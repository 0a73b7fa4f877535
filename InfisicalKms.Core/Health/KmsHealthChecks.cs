using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Core.Health;

/// <summary>
/// The readiness checks (<c>GET /readyz</c>): the database takes writes, the root key is loaded, the audit writer
/// takes records and, when an HSM wraps the root key, its token answers. Liveness (<c>GET /healthz</c>) runs none.
/// </summary>
public static class KmsHealthChecks
{
    public const string ReadyTag = "ready";

    public const string Database = "database";

    public const string RootKey = "root-key";

    public const string AuditWriter = "audit-writer";

    public const string Hsm = "hsm";

    /// <summary>How long one check may take before it counts as failed: a load balancer's probe must get an answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static IHealthChecksBuilder AddKmsHealthChecks(this IServiceCollection services)
    {
        return services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>(Database, tags: [ReadyTag], timeout: Timeout)
            .AddCheck<RootKeyHealthCheck>(RootKey, tags: [ReadyTag], timeout: Timeout)
            .AddCheck<AuditWriterHealthCheck>(AuditWriter, tags: [ReadyTag], timeout: Timeout)
            .AddCheck<HsmHealthCheck>(Hsm, tags: [ReadyTag], timeout: Timeout);
    }
}
