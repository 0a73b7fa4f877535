using System.Security.Cryptography;
using System.Text.RegularExpressions;
using InfisicalKms.Core.RootKeys.Pkcs11;
using Microsoft.Extensions.Configuration;

namespace InfisicalKms.Core.RootKeys;

/// <summary>The wrapping-key variables of spec §11.2, read from configuration (the environment in production).</summary>
/// <remarks>Holds the decoded environment key and the HSM PIN, zeroed on dispose; <see cref="ToString"/> never shows them.</remarks>
public sealed partial class RootKeySettings : IDisposable
{
    public const string EncryptionKeyVariable = "ENCRYPTION_KEY";
    public const string RootEncryptionKeyVariable = "ROOT_ENCRYPTION_KEY";
    public const string NewEncryptionKeyVariable = "NEW_ENCRYPTION_KEY";
    public const string NewRootEncryptionKeyVariable = "NEW_ROOT_ENCRYPTION_KEY";
    public const string DevKeyFileName = "root-encryption-key.dev";

    private static readonly string[] HsmRequired = [HsmSettings.LibraryPathVariable, HsmSettings.PinVariable, HsmSettings.KeyLabelVariable];

    /// <summary>The 32 wrapping-key bytes from ENCRYPTION_KEY (its ASCII) or ROOT_ENCRYPTION_KEY (base64), if set.</summary>
    public byte[]? EnvironmentKey { get; private init; }

    /// <summary>Which variable <see cref="EnvironmentKey"/> came from.</summary>
    public string? EnvironmentKeyVariable { get; private init; }

    /// <summary>Both environment keys were set; ROOT_ENCRYPTION_KEY is ignored and start-up warns.</summary>
    public bool RootEncryptionKeyIgnored { get; private init; }

    /// <summary>The HSM variables, when HSM_LIB_PATH, HSM_PIN and HSM_KEY_LABEL are all set.</summary>
    public HsmSettings? Hsm { get; private init; }

    public bool HsmConfigured => Hsm is not null;

    public bool IsDevelopment { get; private init; }

    /// <summary>Where the development key file lives: the directory of the default database.</summary>
    public required string DataDirectory { get; init; }

    public string DevKeyFilePath => Path.Combine(DataDirectory, DevKeyFileName);

    /// <summary>Parses and checks the variables; throws <see cref="RootKeyConfigurationException"/> on malformed ones.</summary>
    public static RootKeySettings From(IConfiguration configuration, bool isDevelopment, string dataDirectory)
    {
        byte[]? key = ReadEnvironmentKey(configuration, EncryptionKeyVariable, RootEncryptionKeyVariable, out string? variable, out bool bothSet);
        string[] hsmSet = HsmRequired.Where(v => NullIfEmpty(configuration[v]) is not null).ToArray();
        if (hsmSet.Length is > 0 and < 3)
        {
            string missing = string.Join(", ", HsmRequired.Except(hsmSet));
            throw new RootKeyConfigurationException($"HSM configuration is incomplete: {missing} must be set.");
        }

        return new RootKeySettings
        {
            EnvironmentKey = key,
            EnvironmentKeyVariable = variable,
            RootEncryptionKeyIgnored = bothSet,
            Hsm = hsmSet.Length == 3 ? HsmSettings.From(configuration) : null,
            IsDevelopment = isDevelopment,
            DataDirectory = dataDirectory,
        };
    }

    /// <summary>
    /// The new environment key for <c>root-key rotate-env-key</c>: NEW_ENCRYPTION_KEY (wins) or
    /// NEW_ROOT_ENCRYPTION_KEY, with the same formats as the current ones. Null when neither is set.
    /// </summary>
    public static byte[]? ReadNewEnvironmentKey(IConfiguration configuration, out string? variable, out bool bothSet) =>
        ReadEnvironmentKey(configuration, NewEncryptionKeyVariable, NewRootEncryptionKeyVariable, out variable, out bothSet);

    /// <summary>Standard base64 of exactly 32 bytes, or null.</summary>
    public static byte[]? DecodeBase64Key(string text)
    {
        byte[] buffer = new byte[32];
        return text.Length == 44 && Convert.TryFromBase64String(text, buffer, out int written) && written == 32 ? buffer : null;
    }

    public void Dispose()
    {
        if (EnvironmentKey is not null)
        {
            CryptographicOperations.ZeroMemory(EnvironmentKey);
        }

        Hsm?.Dispose();
    }

    public override string ToString() =>
        $"RootKeySettings(env: {EnvironmentKeyVariable ?? "none"}, hsm: {HsmConfigured}, development: {IsDevelopment})";

    /// <summary>The hex variable (used as its 32 ASCII bytes, as Infisical does) wins over the base64 one.</summary>
    private static byte[]? ReadEnvironmentKey(IConfiguration configuration, string hexVariable, string base64Variable,
        out string? variable, out bool bothSet)
    {
        string? hex = NullIfEmpty(configuration[hexVariable]);
        string? base64 = NullIfEmpty(configuration[base64Variable]);
        bothSet = hex is not null && base64 is not null;
        if (hex is not null)
        {
            if (!Hex32().IsMatch(hex))
            {
                throw new RootKeyConfigurationException($"{hexVariable} must be exactly 32 hexadecimal characters (16 random bytes, hex-encoded).");
            }

            variable = hexVariable;
            return System.Text.Encoding.ASCII.GetBytes(hex);
        }

        if (base64 is not null)
        {
            variable = base64Variable;
            return DecodeBase64Key(base64)
                ?? throw new RootKeyConfigurationException($"{base64Variable} must be the base64 encoding of exactly 32 bytes.");
        }

        variable = null;
        return null;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    [GeneratedRegex(@"\A[0-9a-fA-F]{32}\z")]   // \z: "$" would let a trailing newline through
    private static partial Regex Hex32();
}
