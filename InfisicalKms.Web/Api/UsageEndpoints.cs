using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Usage;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InfisicalKms.Web.Api;

/// <summary>
/// How much keys are used (extensions): per key, and per project with each key's totals. Counts of the
/// project's audit records, so the permission is the audit log's (<c>read</c> on <c>audit-logs</c>); not
/// themselves audited.
/// </summary>
public static class UsageEndpoints
{
    public static RouteGroupBuilder MapKeyUsageEndpoints(this RouteGroupBuilder key)
    {
        key.MapGet("usage", KeyUsageAsync).WithName("Keys_Usage").Query<UsageQueryParameters>().Extension();
        return key;
    }

    public static RouteGroupBuilder MapProjectUsageEndpoints(this RouteGroupBuilder projects)
    {
        projects.MapGet("{projectId}/usage", ProjectUsageAsync).WithName("Projects_Usage").Query<UsageQueryParameters>().Extension();
        return projects;
    }

    private static async Task<Ok<KeyUsageResponse>> KeyUsageAsync(HttpContext http, string keyId, KeyUsageService usage)
    {
        KeyRef key = KeyEndpoints.KeyIdFromPath(keyId);
        UsageQuery query = ParseQuery(http);
        return TypedResults.Ok(new KeyUsageResponse(KeyUsageDto.Of(await usage.ForKeyAsync(KmsAuthFilter.Caller(http), key, query, http.RequestAborted))));
    }

    private static async Task<Ok<ProjectUsageResponse>> ProjectUsageAsync(HttpContext http, string projectId, KeyUsageService usage)
    {
        UsageQuery query = ParseQuery(http);
        return TypedResults.Ok(new ProjectUsageResponse(ProjectUsageDto.Of(
            await usage.ForProjectAsync(KmsAuthFilter.Caller(http), projectId, query, http.RequestAborted))));
    }

    /// <summary><c>from</c> and <c>to</c> (RFC 3339, optional) and <c>bucket</c> (<c>hour</c>, the default, or <c>day</c>).</summary>
    private static UsageQuery ParseQuery(HttpContext http)
    {
        var v = RequestValidator.For(http);
        DateTime? from = AuditEndpoints.DateTimeParameter(v, "from", v.Query("from"));
        DateTime? to = AuditEndpoints.DateTimeParameter(v, "to", v.Query("to"));
        UsageBucket? bucket = v.Query("bucket") is { } text ? v.EnumText("bucket", text, UsageWindow.BucketNames) : UsageBucket.Hour;
        v.ThrowIfInvalid();
        return new UsageQuery(from, to, bucket ?? UsageBucket.Hour);
    }
}
