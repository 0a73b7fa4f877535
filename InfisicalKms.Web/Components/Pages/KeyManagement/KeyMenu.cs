using InfisicalKms.Core.Access;
using InfisicalKms.Core.Keys;

namespace InfisicalKms.Web.Components.Pages.KeyManagement;

public enum KeyAction
{
    Encrypt,
    Decrypt,
    Sign,
    Verify,
    CopyPublicKey,
    GenerateMac,
    VerifyMac,
    Details,
    Rotate,
    Export,
    Edit,
    ToggleDisabled,
    Delete,
}

/// <summary>One row-menu entry: shown for the key's usage, enabled only when the role and the key's state allow it.</summary>
public sealed record KeyMenuItem(KeyAction Action, string Label, Permission Permission, bool Enabled, string? DisabledReason);

/// <summary>
/// Which row-menu items a key shows and which the caller's role enables (spec §9.3). The services check
/// again on every call; this only spares the user a refusal.
/// </summary>
public static class KeyMenu
{
    public const string AccessRestricted = "Access Restricted";
    public const string KeyDisabled = "Key Disabled";

    public static IReadOnlyList<KeyMenuItem> For(KmsKey key, ProjectRole role)
    {
        var items = new List<KeyMenuItem>();
        if (key.Usage == KeyUsage.EncryptDecrypt)
        {
            items.Add(Crypto(KeyAction.Encrypt, "Encrypt Data", Permission.Encrypt, key, role));
            items.Add(Crypto(KeyAction.Decrypt, "Decrypt Data", Permission.Decrypt, key, role));
        }
        else if (key.Usage == KeyUsage.SignVerify)
        {
            items.Add(Crypto(KeyAction.Sign, "Sign Data", Permission.Sign, key, role));
            items.Add(Crypto(KeyAction.Verify, "Verify Data", Permission.Verify, key, role));
            items.Add(Crypto(KeyAction.CopyPublicKey, "Copy Public Key", Permission.ReadKey, key, role));
        }
        else
        {
            items.Add(Crypto(KeyAction.GenerateMac, "Generate MAC", Permission.GenerateMac, key, role));
            items.Add(Crypto(KeyAction.VerifyMac, "Verify MAC", Permission.VerifyMac, key, role));
        }

        items.Add(Manage(KeyAction.Details, "View Details", Permission.ReadKey, role));
        if (key.Usage != KeyUsage.SignVerify)
        {
            items.Add(Crypto(KeyAction.Rotate, "Rotate Now", Permission.RotateKey, key, role));
        }

        // Only exportable keys offer export at all; the flag is fixed at creation.
        if (key.IsExportable)
        {
            items.Add(Crypto(KeyAction.Export, "Export Key", Permission.ExportKey, key, role));
        }

        items.Add(Manage(KeyAction.Edit, "Edit Key", Permission.EditKey, role));
        items.Add(Manage(KeyAction.ToggleDisabled, key.IsDisabled ? "Enable Key" : "Disable Key", Permission.EditKey, role));
        items.Add(Manage(KeyAction.Delete, "Delete Key", Permission.DeleteKey, role));
        return items;
    }

    private static KeyMenuItem Crypto(KeyAction action, string label, Permission permission, KmsKey key, ProjectRole role) =>
        !role.Allows(permission) ? new(action, label, permission, false, AccessRestricted)
        : key.IsDisabled ? new(action, label, permission, false, KeyDisabled)
        : new(action, label, permission, true, null);

    private static KeyMenuItem Manage(KeyAction action, string label, Permission permission, ProjectRole role) =>
        role.Allows(permission) ? new(action, label, permission, true, null) : new(action, label, permission, false, AccessRestricted);
}
