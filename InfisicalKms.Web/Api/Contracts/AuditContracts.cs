using System.ComponentModel.DataAnnotations;
using InfisicalKms.Core.Audit;

namespace InfisicalKms.Web.Api.Contracts;

/// <summary>An audit event (spec §10.7.3).</summary>
public sealed record AuditEventDto(
    string Id, string EventType, AuditActorDto Actor, string? ProjectId, string? KeyId, string? IpAddress, string? UserAgent,
    string Outcome, IReadOnlyDictionary<string, string> Metadata, string CreatedAt, string Hash, string PrevHash)
{
    public static AuditEventDto From(AuditEvent e) => new(
        e.Id.ToString(), e.EventType, new AuditActorDto(e.ActorType, e.ActorId?.ToString(), e.ActorName), e.ProjectId?.ToString(),
        e.KeyId?.ToString(), e.IpAddress, e.UserAgent, e.Outcome, e.Metadata, ApiJson.Timestamp(e.CreatedAt), e.Hash, e.PrevHash);
}

public sealed record AuditActorDto(string Type, string? Id, string Name);

public sealed record AuditLogResponse(IReadOnlyList<AuditEventDto> AuditLogs, int TotalCount);

/// <summary>The result of walking a project's chain (spec §10.7.2).</summary>
public sealed record AuditVerifyResponse(bool Valid, long Checked, string? FirstInvalidId)
{
    public static AuditVerifyResponse From(AuditChainReport r) => new(r.Valid, r.Checked, r.FirstInvalidId?.ToString());
}

/// <summary>The audit query's parameters (spec §10.7.1); dates are RFC 3339 date-times.</summary>
public sealed record AuditLogQuery(
    [property: Range(0, int.MaxValue)] int? Offset,
    [property: Range(1, 100)] int? Limit,
    string? EventType,
    Guid? KeyId,
    Guid? ActorId,
    DateTimeOffset? StartDate,
    DateTimeOffset? EndDate);
