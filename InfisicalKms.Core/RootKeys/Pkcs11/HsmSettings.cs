using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace InfisicalKms.Core.RootKeys.Pkcs11;

/// <summary>The HSM variables of spec §11.2: library, PIN, key label and token selection.</summary>
/// <remarks>
/// Part of the <see cref="RootKeySettings"/> options, read under the variables' own names. Usable
/// (<see cref="RootKeySettings.Hsm"/>) only when HSM_LIB_PATH, HSM_PIN and HSM_KEY_LABEL are all set; start-up
/// refuses a partial set. The PIN is turned into bytes for <c>C_Login</c> only when first needed, and they are
/// zeroed on dispose; <see cref="ToString"/> and the refusals never show it.
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

    public const string SlotInvalid = $"{SlotVariable} must be a non-negative integer.";
    public const string MechanismInvalid = $"{MechanismSetting} must be auto, CKM_AES_GCM or CKM_AES_CBC_PAD.";

    private static readonly string[] Required = [LibraryPathVariable, PinVariable, KeyLabelVariable];

    private readonly Lock _pinLock = new();
    private byte[]? _pin;
    private bool _disposed;

    public string LibraryPath { get; set; } = "";

    public string KeyLabel { get; set; } = "";

    /// <summary>Label of the integrity key used with CBC-PAD: <see cref="KeyLabel"/> + <c>_HMAC</c>, as in Infisical.</summary>
    public string HmacKeyLabel => KeyLabel + "_HMAC";

    /// <summary>HSM_TOKEN_LABEL (extension): when set, it selects the token instead of <see cref="SlotIndex"/>.</summary>
    public string? TokenLabel { get; set; }

    /// <summary>HSM_SLOT as configured.</summary>
    public string? Slot { get; set; }

    /// <summary>Kms:Hsm:Mechanism as configured.</summary>
    public string? Mechanism { get; set; }

    /// <summary>HSM_SLOT: index into the slots that have a token present; default 0.</summary>
    public int SlotIndex => SettingNumbers.Parse(Slot, 0, int.MaxValue, SlotVariable) ?? 0;

    /// <summary>Which mechanism a new HSM wrap uses; an existing wrap always keeps the recorded one.</summary>
    public HsmMechanismPreference MechanismPreference =>
        ParsePreference(Mechanism) ?? throw new InvalidOperationException($"{MechanismSetting} was not validated at start-up.");

    /// <summary>Whether HSM_LIB_PATH, HSM_PIN and HSM_KEY_LABEL are all set.</summary>
    public bool IsComplete => Present().Count() == Required.Length;

    /// <summary>HSM_PIN as configured (a secret: never shown).</summary>
    internal string Pin { get; set; } = "";

    /// <summary>The user PIN (UTF-8), for <c>C_Login</c> only; never copied, logged or shown.</summary>
    internal byte[] PinBytes
    {
        get
        {
            lock (_pinLock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _pin ??= Encoding.UTF8.GetBytes(Pin);
            }
        }
    }

    /// <summary>Reads the HSM variables (part of the <see cref="RootKeySettings"/> options' configure step).</summary>
    public void Read(IConfiguration configuration)
    {
        LibraryPath = configuration[LibraryPathVariable] ?? "";
        Pin = configuration[PinVariable] ?? "";
        KeyLabel = configuration[KeyLabelVariable] ?? "";
        TokenLabel = string.IsNullOrEmpty(configuration[TokenLabelVariable]) ? null : configuration[TokenLabelVariable];
        Slot = configuration[SlotVariable];
        Mechanism = configuration[MechanismSetting];
    }

    /// <summary>
    /// Nothing when no HSM is configured (none of the three set: HSM_SLOT and the mechanism are then unused);
    /// otherwise each missing variable, a malformed HSM_SLOT and an unknown mechanism, never a value.
    /// </summary>
    public IEnumerable<string> Problems()
    {
        string[] present = [.. Present()];
        if (present.Length == 0)
        {
            yield break;
        }

        if (present.Length < Required.Length)
        {
            yield return $"HSM configuration is incomplete: {string.Join(", ", Required.Except(present))} must be set.";
        }

        // Only an absent or empty HSM_SLOT means slot 0 (blank is a mistake, as it always was here).
        if (!string.IsNullOrEmpty(Slot) && !(SettingNumbers.TryParse(Slot, 0, int.MaxValue, out int? slot) && slot is not null))
        {
            yield return SlotInvalid;
        }

        if (ParsePreference(Mechanism) is null)
        {
            yield return MechanismInvalid;
        }
    }

    public void Dispose()
    {
        lock (_pinLock)
        {
            _disposed = true;
            if (_pin is not null)
            {
                CryptographicOperations.ZeroMemory(_pin);
            }
        }
    }

    public override string ToString() =>
        $"HsmSettings(library: {LibraryPath}, key: {KeyLabel}, token: {TokenLabel ?? "slot " + SlotIndex.ToString(CultureInfo.InvariantCulture)})";

    private IEnumerable<string> Present() =>
        new[] { (LibraryPathVariable, LibraryPath), (PinVariable, Pin), (KeyLabelVariable, KeyLabel) }
            .Where(v => !string.IsNullOrEmpty(v.Item2)).Select(v => v.Item1);

    private static HsmMechanismPreference? ParsePreference(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        null or "" or "AUTO" => HsmMechanismPreference.Auto,
        "CKM_AES_GCM" => HsmMechanismPreference.AesGcm,
        "CKM_AES_CBC_PAD" => HsmMechanismPreference.AesCbcPadHmac,
        _ => null,
    };
}
