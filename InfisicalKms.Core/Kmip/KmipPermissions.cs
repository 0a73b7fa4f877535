namespace InfisicalKms.Core.Kmip;

/// <summary>What a KMIP client may do: one flag per operation family, granted per client.</summary>
/// <remarks>DiscoverVersions and Query need no permission; every other operation needs its flag.</remarks>
[Flags]
public enum KmipPermissions
{
    None = 0,
    Create = 1 << 0,
    Register = 1 << 1,
    Locate = 1 << 2,
    Get = 1 << 3,
    GetAttributes = 1 << 4,
    Activate = 1 << 5,
    Revoke = 1 << 6,
    Destroy = 1 << 7,
    Encrypt = 1 << 8,
    Decrypt = 1 << 9,
    Sign = 1 << 10,
    Verify = 1 << 11,
    Mac = 1 << 12,
}

public static class KmipPermissionNames
{
    public static readonly WireNames<KmipPermissions> Wire = new(
        (KmipPermissions.Create, "create"),
        (KmipPermissions.Register, "register"),
        (KmipPermissions.Locate, "locate"),
        (KmipPermissions.Get, "get"),
        (KmipPermissions.GetAttributes, "get-attributes"),
        (KmipPermissions.Activate, "activate"),
        (KmipPermissions.Revoke, "revoke"),
        (KmipPermissions.Destroy, "destroy"),
        (KmipPermissions.Encrypt, "encrypt"),
        (KmipPermissions.Decrypt, "decrypt"),
        (KmipPermissions.Sign, "sign"),
        (KmipPermissions.Verify, "verify"),
        (KmipPermissions.Mac, "mac"));

    /// <summary>Every permission, in the order above.</summary>
    public static readonly IReadOnlyList<KmipPermissions> All = [.. Wire.Values];

    public static IReadOnlyList<string> ToWire(this KmipPermissions permissions) =>
        All.Where(p => permissions.HasFlag(p)).Select(p => Wire.Name(p)).ToList();
}
