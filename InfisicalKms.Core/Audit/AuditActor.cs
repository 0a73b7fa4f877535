using System.Net;
using InfisicalKms.Core.Access;

namespace InfisicalKms.Core.Audit;

/// <summary>Who a record names (spec §10.7.3 <c>actor</c>): an identity, a user, or the system itself.</summary>
public sealed record AuditActor(string Type, Guid? Id, string Name)
{
    public static AuditActor Of(Actor actor) =>
        new(actor.Type == ActorType.Identity ? "identity" : "user", actor.Id, actor.Name);

    /// <summary>A background job or operator command, e.g. the rotation scheduler.</summary>
    public static AuditActor System(string name) => new("system", null, name);
}

/// <summary>Where a request came from: the client IP (spec §1.11) and its <c>User-Agent</c>, cut to 512 characters.</summary>
public sealed record RequestOrigin(string? IpAddress, string? UserAgent)
{
    public const int MaxUserAgentLength = 512;

    /// <summary>No network origin: background jobs and operator commands.</summary>
    public static readonly RequestOrigin None = new(null, null);

    public static RequestOrigin From(IPAddress? ip, string? userAgent) => new(
        ip is null ? null : (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString(),
        userAgent is { Length: > MaxUserAgentLength } ? userAgent[..MaxUserAgentLength] : userAgent);
}
