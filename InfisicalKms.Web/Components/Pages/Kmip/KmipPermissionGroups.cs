using InfisicalKms.Core.Kmip;

namespace InfisicalKms.Web.Components.Pages.Kmip;

/// <summary>The thirteen KMIP client permissions as the UI groups and labels them.</summary>
public static class KmipPermissionGroups
{
    public static readonly IReadOnlyList<(string Title, IReadOnlyList<KmipPermissions> Permissions)> All =
    [
        ("Objects", [KmipPermissions.Create, KmipPermissions.Register, KmipPermissions.Locate, KmipPermissions.Get,
            KmipPermissions.GetAttributes, KmipPermissions.Activate, KmipPermissions.Revoke, KmipPermissions.Destroy]),
        ("Cryptography", [KmipPermissions.Encrypt, KmipPermissions.Decrypt, KmipPermissions.Sign, KmipPermissions.Verify, KmipPermissions.Mac]),
    ];

    /// <summary>Every permission at once.</summary>
    public static KmipPermissions Every => KmipPermissionNames.All.Aggregate(KmipPermissions.None, (all, p) => all | p);

    /// <summary>The wire name ("get-attributes"): what the chips, the API and Infisical show.</summary>
    public static string Label(KmipPermissions permission) => KmipPermissionNames.Wire.Name(permission);
}
