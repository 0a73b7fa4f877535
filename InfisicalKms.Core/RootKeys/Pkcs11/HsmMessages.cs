using Net.Pkcs11Interop.Common;

namespace InfisicalKms.Core.RootKeys.Pkcs11;

/// <summary>The start-up refusals of spec §11.3–§11.4, word for word. None carries a secret value.</summary>
public static class HsmMessages
{
    public const string NotConfigured =
        "The root key is protected by an HSM, but HSM_LIB_PATH, HSM_PIN and HSM_KEY_LABEL are not set.";

    public const string NoMechanism =
        "The HSM supports neither CKM_AES_GCM nor CKM_AES_CBC_PAD with CKM_SHA256_HMAC.";

    public static string CannotLoadLibrary(string path) => $"HSM_LIB_PATH: cannot load the PKCS#11 library at {path}.";

    public static string NoTokenLabelled(string label) => $"HSM_TOKEN_LABEL: no token labelled \"{label}\" was found.";

    public static string SlotOutOfRange(int slot, int count) =>
        $"HSM_SLOT={slot} is out of range: {count} slot(s) with a token were found.";

    public static string PinRejected(CKR code) => $"HSM_PIN was rejected by the token ({code}); not retrying.";

    public static string CannotDecrypt(string keyLabel) =>
        $"The HSM key labelled \"{keyLabel}\" cannot decrypt the stored root key (check HSM_KEY_LABEL and HSM_TOKEN_LABEL/HSM_SLOT).";
}
