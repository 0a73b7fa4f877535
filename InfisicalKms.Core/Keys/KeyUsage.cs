namespace InfisicalKms.Core.Keys;

/// <summary>What a key is for (spec §5.1). Fixed at creation.</summary>
public enum KeyUsage
{
    EncryptDecrypt,
    SignVerify,
    GenerateVerifyMac,
}

public static class KeyUsages
{
    public static readonly WireNames<KeyUsage> Wire = new(
        (KeyUsage.EncryptDecrypt, "encrypt-decrypt"),
        (KeyUsage.SignVerify, "sign-verify"),
        (KeyUsage.GenerateVerifyMac, "generate-verify-mac"));

    public static string ToWire(this KeyUsage usage) => Wire.Name(usage);
}
