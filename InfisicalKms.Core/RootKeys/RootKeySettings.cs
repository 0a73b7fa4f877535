using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace InfisicalKms.Core.RootKeys;

/// <summary>The wrapping-key variables of spec §11.2, read from configuration (the environment in production).</summary>
/// <remarks>Holds the decoded environment key; <see cref="ToString"/> never shows it.</remarks>
public sealed partial class RootKeySettings
{
    public const string EncryptionKeyVariable = "ENCRYPTION_KEY";
    public const string RootEncryptionKeyVariable = "ROOT_ENCRYPTION_KEY";
    public const string DevKeyFileName = "root-encryption-key.dev";

    private static readonly string[] HsmRequired = ["HSM_LIB_PATH", "HSM_PIN", "HSM_KEY_LABEL"];

    /// <summary>The 32 wrapping-key bytes from ENCRYPTION_KEY (its ASCII) or ROOT_ENCRYPTION_KEY (base64), if set.</summary>
    public byte[]? EnvironmentKey { get; private init; }

    /// <summary>Which variable <see cref="EnvironmentKey"/> came from.</summary>
    public string? EnvironmentKeyVariable { get; private init; }

    /// <summary>Both environment keys were set; ROOT_ENCRYPTION_KEY is ignored and start-up warns.</summary>
    public bool RootEncryptionKeyIgnored { get; private init; }

    public bool HsmConfigured { get; private init; }

    public bool IsDevelopment { get; private init; }

    /// <summary>Where the development key file lives: the directory of the default database.</summary>
    public required string DataDirectory { get; init; }

    public string DevKeyFilePath => Path.Combine(DataDirectory, DevKeyFileName);

    /// <summary>Parses and checks the variables; throws <see cref="RootKeyConfigurationException"/> on malformed ones.</summary>
    public static RootKeySettings From(IConfiguration configuration, bool isDevelopment, string dataDirectory)
    {
        string? encryptionKey = NullIfEmpty(configuration[EncryptionKeyVariable]);
        string? rootEncryptionKey = NullIfEmpty(configuration[RootEncryptionKeyVariable]);
        byte[]? key = null;
        string? variable = null;
        if (encryptionKey is not null)
        {
            if (!Hex32().IsMatch(encryptionKey))
            {
                throw new RootKeyConfigurationException("ENCRYPTION_KEY must be exactly 32 hexadecimal characters (16 random bytes, hex-encoded).");
            }

            key = System.Text.Encoding.ASCII.GetBytes(encryptionKey);   // its 32 ASCII bytes, as Infisical does
            variable = EncryptionKeyVariable;
        }
        else if (rootEncryptionKey is not null)
        {
            key = DecodeBase64Key(rootEncryptionKey)
                ?? throw new RootKeyConfigurationException("ROOT_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes.");
            variable = RootEncryptionKeyVariable;
        }

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
            RootEncryptionKeyIgnored = encryptionKey is not null && rootEncryptionKey is not null,
            HsmConfigured = hsmSet.Length == 3,
            IsDevelopment = isDevelopment,
            DataDirectory = dataDirectory,
        };
    }

    /// <summary>Standard base64 of exactly 32 bytes, or null.</summary>
    public static byte[]? DecodeBase64Key(string text)
    {
        byte[] buffer = new byte[32];
        return text.Length == 44 && Convert.TryFromBase64String(text, buffer, out int written) && written == 32 ? buffer : null;
    }

    public override string ToString() =>
        $"RootKeySettings(env: {EnvironmentKeyVariable ?? "none"}, hsm: {HsmConfigured}, development: {IsDevelopment})";

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    [GeneratedRegex(@"\A[0-9a-fA-F]{32}\z")]   // \z: "$" would let a trailing newline through
    private static partial Regex Hex32();
}
