namespace InfisicalKms.Core.RootKeys;

/// <summary>How the root key is wrapped (spec §11.1); recorded next to the wrapped key.</summary>
public enum RootKeyStrategy
{
    /// <summary>AES-256-GCM under ENCRYPTION_KEY, ROOT_ENCRYPTION_KEY or the development key file.</summary>
    Software,

    /// <summary>Wrapped inside a PKCS#11 token.</summary>
    Hsm,
}

public static class RootKeyStrategies
{
    public static string ToWire(this RootKeyStrategy strategy) => strategy switch
    {
        RootKeyStrategy.Software => "SOFTWARE",
        RootKeyStrategy.Hsm => "HSM",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy)),
    };
}
