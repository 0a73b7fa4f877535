using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace InfisicalKms.Core.RootKeys.Pkcs11;

/// <summary>The HSM variables of spec §11.2: library, PIN, key label and token selection.</summary>
/// <remarks>
/// Holds the PIN as bytes so that it can be zeroed; <see cref="ToString"/> never shows it. The object is
/// built only when HSM_LIB_PATH, HSM_PIN and HSM_KEY_LABEL are all set (<see cref="RootKeySettings"/>
/// rejects a partial set first).
/// </remarks>
public sealed class HsmSettings : IDisposable
{
    public const string LibraryPathVariable = "HSM_LIB_PATH";
    public const string PinVariable = "HSM_PIN";
    public const string KeyLabelVariable = "HSM_KEY_LABEL";
    public const string SlotVariable = "HSM_SLOT";
    public const string TokenLabelVariable = "HSM_TOKEN_LABEL";

    /// <summary>Configuration key that forces the wrap mechanism of a new HSM wrap (README); default <c>auto</c>.</summary>
    public const string MechanismSetting = "Kms:Hsm:Mechanism";

    private readonly byte[] _pin;

    private HsmSettings(byte[] pin) => _pin = pin;

    public required string LibraryPath { get; init; }

    public required string KeyLabel { get; init; }

    /// <summary>Label of the integrity key used with CBC-PAD: <see cref="KeyLabel"/> + <c>_HMAC</c>, as in Infisical.</summary>
    public string HmacKeyLabel => KeyLabel + "_HMAC";

    /// <summary>HSM_TOKEN_LABEL (extension): when set, it selects the token instead of <see cref="SlotIndex"/>.</summary>
    public string? TokenLabel { get; init; }

    /// <summary>HSM_SLOT: index into the slots that have a token present; default 0.</summary>
    public int SlotIndex { get; init; }

    /// <summary>Which mechanism a new HSM wrap uses; an existing wrap always keeps the recorded one.</summary>
    public HsmMechanismPreference MechanismPreference { get; init; }

    /// <summary>The user PIN (UTF-8), for <c>C_Login</c> only; never copied, logged or shown.</summary>
    internal byte[] PinBytes => _pin;

    /// <summary>Reads the HSM variables; throws <see cref="RootKeyConfigurationException"/> on a malformed one.</summary>
    public static HsmSettings From(IConfiguration configuration)
    {
        string? slotText = configuration[SlotVariable];
        int slot = 0;
        if (!string.IsNullOrEmpty(slotText)
            && !int.TryParse(slotText, NumberStyles.None, CultureInfo.InvariantCulture, out slot))
        {
            throw new RootKeyConfigurationException($"{SlotVariable} must be a non-negative integer.");
        }

        string? tokenLabel = configuration[TokenLabelVariable];
        return new HsmSettings(Encoding.UTF8.GetBytes(configuration[PinVariable]!))
        {
            LibraryPath = configuration[LibraryPathVariable]!,
            KeyLabel = configuration[KeyLabelVariable]!,
            TokenLabel = string.IsNullOrEmpty(tokenLabel) ? null : tokenLabel,
            SlotIndex = slot,
            MechanismPreference = ParsePreference(configuration[MechanismSetting]),
        };
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_pin);

    public override string ToString() =>
        $"HsmSettings(library: {LibraryPath}, key: {KeyLabel}, token: {TokenLabel ?? "slot " + SlotIndex.ToString(CultureInfo.InvariantCulture)})";

    private static HsmMechanismPreference ParsePreference(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        null or "" or "AUTO" => HsmMechanismPreference.Auto,
        "CKM_AES_GCM" => HsmMechanismPreference.AesGcm,
        "CKM_AES_CBC_PAD" => HsmMechanismPreference.AesCbcPadHmac,
        _ => throw new RootKeyConfigurationException($"{MechanismSetting} must be auto, CKM_AES_GCM or CKM_AES_CBC_PAD."),
    };
}
