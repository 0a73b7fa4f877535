using InfisicalKms.Core.Access;
using InfisicalKms.Core.Kmip;

namespace InfisicalKms.Web.Components.Pages.Kmip;

public enum KmipClientAction
{
    IssueCertificate,
    Edit,
    Revoke,
    Delete,
}

/// <summary>One row-menu entry of a KMIP client: enabled only when the role, the client and the server allow it.</summary>
public sealed record KmipClientMenuItem(KmipClientAction Action, string Label, bool Enabled, string? DisabledReason);

/// <summary>
/// What the KMIP page lets a project role do (subject <c>kmip</c>, Infisical's action names). The service checks
/// again on every call; this only spares the user a refusal.
/// </summary>
public static class KmipAccess
{
    public const string AccessRestricted = "Access Restricted";
    public const string ClientRevoked = "Client Revoked";
    public const string KmipDisabled = "KMIP is not enabled on this server";

    public static Permission ReadClients => Permission.ReadKmipClients;
    public static Permission CreateClients => Permission.CreateKmipClients;
    public static Permission UpdateClients => Permission.UpdateKmipClients;
    public static Permission DeleteClients => Permission.DeleteKmipClients;
    public static Permission GenerateCertificates => Permission.GenerateKmipClientCertificates;

    public static IReadOnlyList<KmipClientMenuItem> MenuFor(KmipClient client, ProjectRole role, bool kmipEnabled)
    {
        bool revoked = client.RevokedAt is not null;
        return
        [
            Item(KmipClientAction.IssueCertificate, "Issue Certificate", role, GenerateCertificates,
                revoked ? ClientRevoked : kmipEnabled ? null : KmipDisabled),
            Item(KmipClientAction.Edit, "Edit Client", role, UpdateClients, null),
            Item(KmipClientAction.Revoke, "Revoke Client", role, UpdateClients, revoked ? ClientRevoked : null),
            Item(KmipClientAction.Delete, "Delete Client", role, DeleteClients, null),
        ];
    }

    private static KmipClientMenuItem Item(KmipClientAction action, string label, ProjectRole role, Permission permission, string? blocked) =>
        !role.Allows(permission) ? new(action, label, false, AccessRestricted)
        : blocked is not null ? new(action, label, false, blocked)
        : new(action, label, true, null);
}
