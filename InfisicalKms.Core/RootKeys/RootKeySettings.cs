using System.Security.Cryptography;
using System.Text.RegularExpressions;
using InfisicalKms.Core.RootKeys.Pkcs11;
using Microsoft.Extensions.Configuration;

namespace InfisicalKms.Core.RootKeys;

/// <summary>The wrapping-key variables of spec §11.2, read from configuration (the environment in production).</summary>
/// <remarks>
/// Options under the variables' own names (<see cref="Read"/>), checked at start-up by
/// <see cref="RootKeySettingsValidator"/>, whose messages name the variable and never show a value. The
/// decoded environment key is made on first use and, with the HSM PIN, zeroed on dispose: the container
/// owns the one instance that services use. <see cref="ToString"/> never shows either.
/// </remarks>
public sealed partial class RootKeySettings : IDisposable
{
    public const string EncryptionKeyVariable = "ENCRYPTION_KEY";
    public const string RootEncryptionKeyVariable = "ROOT_ENCRYPTION_KEY";
    public const string NewEncryptionKeyVariable = "NEW_ENCRYPTION_KEY";
    public const string NewRootEncryptionKeyVariable = "NEW_ROOT_ENCRYPTION_KEY";
    public const string DevKeyFileName = "root-encryption-key.dev";

    public const string EncryptionKeyInvalid = $"{EncryptionKeyVariable} must be exactly 32 hexadecimal characters (16 random bytes, hex-encoded).";
    public const string RootEncryptionKeyInvalid = $"{RootEncryptionKeyVariable} must be the base64 encoding of exactly 32 bytes.";

    private readonly Lock _keyLock = new();
    private byte[]? _environmentKey;
    private bool _disposed;

    /// <summary>ENCRYPTION_KEY as configured (a secret: never shown).</summary>
    internal string? EncryptionKey { get; set; }

    /// <summary>ROOT_ENCRYPTION_KEY as configured (a secret: never shown).</summary>
    internal string? RootEncryptionKey { get; set; }

    /// <summary>The HSM variables as configured, complete or not (<see cref="Hsm"/> is the usable set).</summary>
    public HsmSettings HsmVariables { get; } = new();

    /// <summary>
    /// The 32 wrapping-key bytes from ENCRYPTION_KEY (its ASCII) or ROOT_ENCRYPTION_KEY (base64), if set;
    /// decoded on first use, zeroed on dispose.
    /// </summary>
    public byte[]? EnvironmentKey
    {
        get
        {
            lock (_keyLock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _environmentKey ??= EnvironmentKeyVariable switch
                {
                    EncryptionKeyVariable => DecodeHexKey(EncryptionKey!) ?? throw NotValidated(EncryptionKeyVariable),
                    RootEncryptionKeyVariable => DecodeBase64Key(RootEncryptionKey!) ?? throw NotValidated(RootEncryptionKeyVariable),
                    _ => null,
                };
            }
        }
    }

    /// <summary>Which variable <see cref="EnvironmentKey"/> comes from: ENCRYPTION_KEY wins over ROOT_ENCRYPTION_KEY.</summary>
    public string? EnvironmentKeyVariable =>
        !string.IsNullOrEmpty(EncryptionKey) ? EncryptionKeyVariable
        : !string.IsNullOrEmpty(RootEncryptionKey) ? RootEncryptionKeyVariable
        : null;

    /// <summary>Both environment keys were set; ROOT_ENCRYPTION_KEY is ignored and start-up warns.</summary>
    public bool RootEncryptionKeyIgnored => !string.IsNullOrEmpty(EncryptionKey) && !string.IsNullOrEmpty(RootEncryptionKey);

    /// <summary>The HSM variables, when HSM_LIB_PATH, HSM_PIN and HSM_KEY_LABEL are all set.</summary>
    public HsmSettings? Hsm => HsmVariables.IsComplete ? HsmVariables : null;

    public bool HsmConfigured => Hsm is not null;

    public bool IsDevelopment { get; set; }

    /// <summary>Where the development key file lives: the directory of the default database.</summary>
    public string DataDirectory { get; set; } = "";

    public string DevKeyFilePath => Path.Combine(DataDirectory, DevKeyFileName);

    /// <summary>The options' configure step: the variables of spec §11.2 under their own names, and where the instance runs.</summary>
    public void Read(IConfiguration configuration, bool isDevelopment, string dataDirectory)
    {
        EncryptionKey = configuration[EncryptionKeyVariable];
        RootEncryptionKey = configuration[RootEncryptionKeyVariable];
        HsmVariables.Read(configuration);
        IsDevelopment = isDevelopment;
        DataDirectory = dataDirectory;
    }

    /// <summary>Every malformed variable, one message each naming it and never its value.</summary>
    /// <remarks>ROOT_ENCRYPTION_KEY is not checked when ENCRYPTION_KEY is set: it is ignored then.</remarks>
    public IEnumerable<string> Problems()
    {
        if (!string.IsNullOrEmpty(EncryptionKey))
        {
            if (!Hex32().IsMatch(EncryptionKey))
            {
                yield return EncryptionKeyInvalid;
            }
        }
        else if (!string.IsNullOrEmpty(RootEncryptionKey) && !IsBase64Key(RootEncryptionKey))
        {
            yield return RootEncryptionKeyInvalid;
        }

        foreach (string problem in HsmVariables.Problems())
        {
            yield return problem;
        }
    }

    /// <summary>
    /// The new environment key for <c>root-key rotate-env-key</c>: NEW_ENCRYPTION_KEY (wins) or
    /// NEW_ROOT_ENCRYPTION_KEY, with the same formats as the current ones. Null when neither is set.
    /// </summary>
    /// <exception cref="RootKeyConfigurationException">The winning variable is malformed.</exception>
    public static byte[]? ReadNewEnvironmentKey(IConfiguration configuration, out string? variable, out bool bothSet)
    {
        string? hex = NullIfEmpty(configuration[NewEncryptionKeyVariable]);
        string? base64 = NullIfEmpty(configuration[NewRootEncryptionKeyVariable]);
        bothSet = hex is not null && base64 is not null;
        variable = hex is not null ? NewEncryptionKeyVariable : base64 is not null ? NewRootEncryptionKeyVariable : null;
        return variable switch
        {
            NewEncryptionKeyVariable => DecodeHexKey(hex!) ?? throw new RootKeyConfigurationException(
                $"{NewEncryptionKeyVariable} must be exactly 32 hexadecimal characters (16 random bytes, hex-encoded)."),
            NewRootEncryptionKeyVariable => DecodeBase64Key(base64!) ?? throw new RootKeyConfigurationException(
                $"{NewRootEncryptionKeyVariable} must be the base64 encoding of exactly 32 bytes."),
            _ => null,
        };
    }

    /// <summary>Standard base64 of exactly 32 bytes, or null.</summary>
    public static byte[]? DecodeBase64Key(string text)
    {
        byte[] buffer = new byte[32];
        if (text.Length == 44 && Convert.TryFromBase64String(text, buffer, out int written) && written == 32)
        {
            return buffer;
        }

        CryptographicOperations.ZeroMemory(buffer);
        return null;
    }

    public void Dispose()
    {
        lock (_keyLock)
        {
            _disposed = true;
            if (_environmentKey is not null)
            {
                CryptographicOperations.ZeroMemory(_environmentKey);
            }
        }

        HsmVariables.Dispose();
    }

    public override string ToString() =>
        $"RootKeySettings(env: {EnvironmentKeyVariable ?? "none"}, hsm: {HsmConfigured}, development: {IsDevelopment})";

    private static bool IsBase64Key(string text)
    {
        byte[]? key = DecodeBase64Key(text);
        if (key is null)
        {
            return false;
        }

        CryptographicOperations.ZeroMemory(key);
        return true;
    }

    /// <summary>32 hexadecimal characters, used as their 32 ASCII bytes (as Infisical does), or null.</summary>
    private static byte[]? DecodeHexKey(string text) => Hex32().IsMatch(text) ? System.Text.Encoding.ASCII.GetBytes(text) : null;

    private static InvalidOperationException NotValidated(string variable) => new($"{variable} was not validated at start-up.");

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    [GeneratedRegex(@"\A[0-9a-fA-F]{32}\z")]   // \z: "$" would let a trailing newline through
    private static partial Regex Hex32();
}
