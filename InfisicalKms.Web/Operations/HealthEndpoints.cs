using System.Text.Json;
using InfisicalKms.Core.Health;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InfisicalKms.Web.Operations;

/// <summary>
/// <c>GET /healthz</c> (liveness: the process answers, no check runs) and <c>GET /readyz</c> (readiness: every
/// check of <see cref="KmsHealthChecks"/>). Each answers 200 or 503 with a small JSON body naming each check,
/// its status and a one-line reason; no setting values, no secrets. Neither needs a token: a load balancer
/// or an orchestrator asks them.
/// </summary>
public static class HealthEndpoints
{
    public const string LivenessPath = "/healthz";

    public const string ReadinessPath = "/readyz";

    public static bool IsHealthPath(PathString path) => path == LivenessPath || path == ReadinessPath;

    public static void MapKmsHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivenessPath, Options(_ => false));
        endpoints.MapHealthChecks(ReadinessPath, Options(check => check.Tags.Contains(KmsHealthChecks.ReadyTag)));
    }

    private static HealthCheckOptions Options(Func<HealthCheckRegistration, bool> predicate) => new()
    {
        Predicate = predicate,
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
        ResponseWriter = WriteAsync,
    };

    /// <summary><c>{"status":"unhealthy","checks":[{"name":"database","status":"unhealthy","description":"…"}]}</c>.</summary>
    private static async Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", Name(report.Status));
        json.WriteStartArray("checks");
        foreach ((string name, HealthReportEntry entry) in report.Entries)
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("status", Name(entry.Status));
            // A check that threw or timed out has no description of its own; its exception's text could
            // hold anything, so only its kind is shown (the check's own descriptions are written for this).
            json.WriteString("description", entry.Description
                ?? (entry.Exception is OperationCanceledException ? $"no answer within {KmsHealthChecks.Timeout.TotalSeconds:0} s" : "the check failed"));
            json.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 1));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted);
    }

    private static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };
}
