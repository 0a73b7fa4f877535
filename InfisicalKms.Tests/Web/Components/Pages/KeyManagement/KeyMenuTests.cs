using InfisicalKms.Core.Access;
using InfisicalKms.Core.Keys;
using InfisicalKms.Web.Components.Pages.KeyManagement;

namespace InfisicalKms.Tests.Web.Components.Pages.KeyManagement;

/// <summary>KeyMenu.For against the role table of spec §9.3, for every role, usage and key state.</summary>
public sealed class KeyMenuTests
{
    // Spec §9.3, the cmek actions the menu uses, transcribed per role.
    private static readonly Dictionary<ProjectRole, string[]> CmekActions = new()
    {
        [ProjectRole.Admin] =
        [
            "read", "create", "edit", "delete", "encrypt", "decrypt", "sign", "verify", "generate-mac", "verify-mac", "rotate", "export-private-key",
        ],
        [ProjectRole.Member] = ["read", "create", "edit", "delete", "encrypt", "decrypt", "sign", "verify", "generate-mac", "verify-mac", "rotate"],
        [ProjectRole.Viewer] = ["read"],
        [ProjectRole.CryptographicOperator] = ["encrypt", "decrypt", "sign", "verify", "generate-mac", "verify-mac"],
        [ProjectRole.NoAccess] = [],
    };

    // The action each entry needs (spec §9.6), and whether its route has the disabled check (spec §2.6 K4).
    private static readonly Dictionary<KeyAction, (string Action, bool DisabledCheck)> Needs = new()
    {
        [KeyAction.Encrypt] = ("encrypt", true),
        [KeyAction.Decrypt] = ("decrypt", true),
        [KeyAction.Sign] = ("sign", true),
        [KeyAction.Verify] = ("verify", true),
        [KeyAction.CopyPublicKey] = ("read", true),
        [KeyAction.GenerateMac] = ("generate-mac", true),
        [KeyAction.VerifyMac] = ("verify-mac", true),
        [KeyAction.Details] = ("read", false),
        [KeyAction.Rotate] = ("rotate", true),
        [KeyAction.Export] = ("export-private-key", true),
        [KeyAction.Edit] = ("edit", false),
        [KeyAction.ToggleDisabled] = ("edit", false),
        [KeyAction.Delete] = ("delete", false),
    };

    public static TheoryData<ProjectRole, KeyUsage, bool, bool> Cases()
    {
        var cases = new TheoryData<ProjectRole, KeyUsage, bool, bool>();
        foreach (ProjectRole role in Enum.GetValues<ProjectRole>())
        {
            foreach (KeyUsage usage in Enum.GetValues<KeyUsage>())
            {
                foreach ((bool disabled, bool exportable) in new[] { (false, false), (true, false), (false, true), (true, true) })
                {
                    cases.Add(role, usage, disabled, exportable);
                }
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void For_EveryRoleUsageAndState_FollowsTheSpecRoleTable(ProjectRole role, KeyUsage usage, bool disabled, bool exportable)
    {
        KmsKey key = Key(usage, disabled, exportable);

        IReadOnlyList<KeyMenuItem> items = KeyMenu.For(key, role);

        // Rotation is for encrypt-decrypt and MAC keys (spec §7.13); export only for exportable keys (§7.14).
        List<KeyAction> expected = usage switch
        {
            KeyUsage.EncryptDecrypt => [KeyAction.Encrypt, KeyAction.Decrypt, KeyAction.Details, KeyAction.Rotate],
            KeyUsage.SignVerify => [KeyAction.Sign, KeyAction.Verify, KeyAction.CopyPublicKey, KeyAction.Details],
            _ => [KeyAction.GenerateMac, KeyAction.VerifyMac, KeyAction.Details, KeyAction.Rotate],
        };
        if (exportable)
        {
            expected.Add(KeyAction.Export);
        }

        expected.AddRange([KeyAction.Edit, KeyAction.ToggleDisabled, KeyAction.Delete]);
        Assert.Equal(expected, items.Select(i => i.Action));
        foreach (KeyMenuItem item in items)
        {
            (string action, bool disabledCheck) = Needs[item.Action];
            bool allowed = CmekActions[role].Contains(action);
            string? reason = !allowed ? "Access Restricted" : disabledCheck && disabled ? "Key Disabled" : null;
            Assert.True(reason == item.DisabledReason,
                $"{role} {item.Action} on a {(disabled ? "disabled" : "enabled")} key: reason {item.DisabledReason ?? "none"}, expected {reason ?? "none"}");
            Assert.Equal(reason is null, item.Enabled);
            Assert.Equal(action, item.Permission.Action);
        }
    }

    [Theory]
    [InlineData(KeyUsage.EncryptDecrypt, false, false,
        new[] { "Encrypt Data", "Decrypt Data", "View Details", "Rotate Now", "Edit Key", "Disable Key", "Delete Key" })]
    [InlineData(KeyUsage.EncryptDecrypt, true, true,
        new[] { "Encrypt Data", "Decrypt Data", "View Details", "Rotate Now", "Export Key", "Edit Key", "Enable Key", "Delete Key" })]
    [InlineData(KeyUsage.SignVerify, false, false,
        new[] { "Sign Data", "Verify Data", "Copy Public Key", "View Details", "Edit Key", "Disable Key", "Delete Key" })]
    [InlineData(KeyUsage.GenerateVerifyMac, false, false,
        new[] { "Generate MAC", "Verify MAC", "View Details", "Rotate Now", "Edit Key", "Disable Key", "Delete Key" })]
    public void For_Labels_NameTheToggleByTheKeysState(KeyUsage usage, bool disabled, bool exportable, string[] labels)
    {
        Assert.Equal(labels, KeyMenu.For(Key(usage, disabled, exportable), ProjectRole.Admin).Select(i => i.Label));
    }

    [Fact]
    public void For_ViewerOnADisabledKey_ReportsTheRoleBeforeTheKeyState()
    {
        KeyMenuItem encrypt = KeyMenu.For(Key(KeyUsage.EncryptDecrypt, disabled: true, exportable: false), ProjectRole.Viewer)[0];

        Assert.Equal(KeyMenu.AccessRestricted, encrypt.DisabledReason);
        Assert.Equal("Access Restricted", KeyMenu.AccessRestricted);
        Assert.Equal("Key Disabled", KeyMenu.KeyDisabled);
    }

    private static KmsKey Key(KeyUsage usage, bool disabled, bool exportable) => new()
    {
        Id = Guid.CreateVersion7(),
        Name = "menu-key",
        Usage = usage,
        Algorithm = KeyAlgorithms.DefaultFor(usage),
        IsDisabled = disabled,
        IsExportable = exportable,
    };
}
