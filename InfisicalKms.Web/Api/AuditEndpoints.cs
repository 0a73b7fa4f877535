using System.Globalization;
using System.Text.RegularExpressions;
using InfisicalKms.Core.Audit;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InfisicalKms.Web.Api;

/// <summary>
/// Reading and verifying a project's audit chain (spec §10.7.1, §10.7.2), and verifying the organization's
/// chain (an extension beyond spec §0, for organization admins, as its page in the UI). None is itself audited.
/// </summary>
public static partial class AuditEndpoints
{
    public static RouteGroupBuilder MapAuditEndpoints(this RouteGroupBuilder projects)
    {
        projects.MapGet("{projectId}/audit-logs", QueryAsync).WithName("AuditLogs_List").Query<AuditLogQuery>().Extension();
        projects.MapGet("{projectId}/audit-logs/verify", VerifyAsync).WithName("AuditLogs_Verify").Extension();
        return projects;
    }

    public static RouteGroupBuilder MapOrganizationAuditEndpoints(this RouteGroupBuilder organizations)
    {
        organizations.MapGet("{organizationId}/audit-logs/verify", VerifyOrganizationAsync).WithName("AuditLogs_VerifyOrganization").Extension();
        return organizations;
    }

    private static async Task<Ok<AuditLogResponse>> QueryAsync(HttpContext http, string projectId, AuditLogService auditLogs)
    {
        var v = RequestValidator.For(http);
        int offset = v.QueryInteger("offset", v.Query("offset"), 0, 0, int.MaxValue);
        int limit = v.QueryInteger("limit", v.Query("limit"), 20, 1, 100);
        string? eventType = v.Query("eventType");
        Guid? keyId = v.Query("keyId") is { } key ? v.Uuid("keyId", key) : null;
        Guid? actorId = v.Query("actorId") is { } actor ? v.Uuid("actorId", actor) : null;
        DateTime? start = DateTimeParameter(v, "startDate", v.Query("startDate"));
        DateTime? end = DateTimeParameter(v, "endDate", v.Query("endDate"));
        v.ThrowIfInvalid();
        if (start is not null && end is not null && end <= start)
        {
            v.Fail("endDate", "endDate must be after startDate");
            v.ThrowIfInvalid();
        }

        AuditPage page = await auditLogs.QueryAsync(KmsAuthFilter.Caller(http), projectId,
            new AuditQuery(offset, limit, eventType, keyId, actorId, start, end), http.RequestAborted);
        return TypedResults.Ok(new AuditLogResponse(page.Events.Select(AuditEventDto.From).ToArray(), page.TotalCount));
    }

    private static async Task<Ok<AuditVerifyResponse>> VerifyAsync(HttpContext http, string projectId, AuditLogService auditLogs) =>
        TypedResults.Ok(AuditVerifyResponse.From(await auditLogs.VerifyAsync(KmsAuthFilter.Caller(http), projectId, http.RequestAborted)));

    private static async Task<Ok<AuditVerifyResponse>> VerifyOrganizationAsync(HttpContext http, string organizationId, AuditLogService auditLogs)
    {
        var v = RequestValidator.For(http);
        Guid id = v.Uuid("organizationId", organizationId);
        v.ThrowIfInvalid();
        return TypedResults.Ok(AuditVerifyResponse.From(await auditLogs.VerifyOrganizationAsync(KmsAuthFilter.Caller(http), id, http.RequestAborted)));
    }

    /// <summary>An RFC 3339 date-time with <c>Z</c> or a numeric offset (spec §1.6), as UTC.</summary>
    internal static DateTime? DateTimeParameter(RequestValidator v, string field, string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (Rfc3339().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset value))
        {
            return value.UtcDateTime;
        }

        v.Fail(field, "Invalid datetime");
        return null;
    }

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})\z")]
    private static partial Regex Rfc3339();
}
