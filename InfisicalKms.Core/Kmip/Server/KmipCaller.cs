using InfisicalKms.Core.Audit;

namespace InfisicalKms.Core.Kmip.Server;

/// <summary>
/// The KMIP client behind one request, as its row reads now (cached under a generation every change raises, so a
/// revoke or a permission change takes effect on the next message), and where the connection comes from.
/// </summary>
public sealed record KmipCaller(Guid ClientId, string Name, Guid ProjectId, Guid OrganizationId, KmipPermissions Permissions, RequestOrigin Origin)
{
    public const string ActorType = "kmip-client";

    public AuditActor AuditActor => new(ActorType, ClientId, Name);

    /// <summary>Refuses the operation unless the client was granted <paramref name="permission"/>.</summary>
    public void Demand(KmipPermissions permission)
    {
        if (!Permissions.HasFlag(permission))
        {
            throw KmipException.Denied(permission);
        }
    }
}
