namespace InfisicalKms.Core.RootKeys.Pkcs11;

/// <summary>How the HSM wraps the root key (spec §11.4); the name is recorded next to the wrapped key.</summary>
public enum HsmMechanism
{
    /// <summary><c>IV(12) ‖ ciphertext ‖ tag(16)</c> under the AES-256 key.</summary>
    AesGcm,

    /// <summary><c>IV(16) ‖ AES-256-CBC-PAD ‖ HMAC-SHA-256(IV ‖ ciphertext)(32)</c>, as Infisical does.</summary>
    AesCbcPadHmac,
}

/// <summary>The operator's choice for a new HSM wrap (<see cref="HsmSettings.MechanismSetting"/>).</summary>
public enum HsmMechanismPreference
{
    /// <summary>CKM_AES_GCM when the token offers it, else CKM_AES_CBC_PAD with CKM_SHA256_HMAC.</summary>
    Auto,

    AesGcm,

    AesCbcPadHmac,
}

public static class HsmMechanisms
{
    public const string AesGcmName = "CKM_AES_GCM";
    public const string AesCbcPadHmacName = "CKM_AES_CBC_PAD+CKM_SHA256_HMAC";

    /// <summary>The name stored in <see cref="RootKeyRecord.Mechanism"/> (at most 32 characters).</summary>
    public static string ToRecordName(this HsmMechanism mechanism) => mechanism switch
    {
        HsmMechanism.AesGcm => AesGcmName,
        HsmMechanism.AesCbcPadHmac => AesCbcPadHmacName,
        _ => throw new ArgumentOutOfRangeException(nameof(mechanism)),
    };

    /// <summary>Parses a recorded name; throws <see cref="RootKeyConfigurationException"/> on an unknown one.</summary>
    public static HsmMechanism FromRecordName(string name) => name switch
    {
        AesGcmName => HsmMechanism.AesGcm,
        AesCbcPadHmacName => HsmMechanism.AesCbcPadHmac,
        _ => throw new RootKeyConfigurationException($"The stored root key records an unknown HSM mechanism \"{name}\"."),
    };
}
