using System.Globalization;
using InfisicalKms.Core.RootKeys;
using Microsoft.Extensions.Configuration;

namespace InfisicalKms.Core.Caching;

/// <summary>
/// Entry limits of the in-memory caches (<c>Kms:Cache:*</c>). Each is a count of entries; 0 turns that
/// cache off. The memory each costs is in the README.
/// </summary>
public sealed record KmsCacheSettings(int Tokens, int Roles, int Keys, int KeyMaterial)
{
    public const string Section = "Kms:Cache";

    public static readonly KmsCacheSettings Default = new(Tokens: 10_000, Roles: 50_000, Keys: 100_000, KeyMaterial: 100_000);

    /// <exception cref="RootKeyConfigurationException">A start-up refusal that names the setting.</exception>
    public static KmsCacheSettings From(IConfiguration configuration)
    {
        IConfigurationSection section = configuration.GetSection(Section);
        return new KmsCacheSettings(
            Read(section, nameof(Tokens), Default.Tokens),
            Read(section, nameof(Roles), Default.Roles),
            Read(section, nameof(Keys), Default.Keys),
            Read(section, nameof(KeyMaterial), Default.KeyMaterial));
    }

    private static int Read(IConfigurationSection section, string name, int fallback)
    {
        string? value = section[name];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int entries) || entries > 10_000_000)
        {
            throw new RootKeyConfigurationException($"{Section}:{name} must be a whole number of entries from 0 to 10000000 (0 turns that cache off).");
        }

        return entries;
    }
}
