using System.Globalization;
using InfisicalKms.Core.RootKeys;
using Microsoft.Extensions.Configuration;

namespace InfisicalKms.Core.Caching;

/// <summary>
/// The in-memory caches (<c>Kms:Cache:*</c>): entry limits, each a count of entries (0 turns that cache
/// off), and the longest a token, role or key row is used before it is read again. Changes made through
/// this process are seen at once whatever the age; the age bounds how long a change made by another
/// process sharing the database goes unseen. The memory each cache costs is in the README.
/// </summary>
public sealed record KmsCacheSettings(int Tokens, int Roles, int Keys, int KeyMaterial, int MaxAgeSeconds = 10)
{
    public const string Section = "Kms:Cache";

    public static readonly KmsCacheSettings Default = new(Tokens: 10_000, Roles: 50_000, Keys: 100_000, KeyMaterial: 100_000);

    public TimeSpan MaxAge => TimeSpan.FromSeconds(MaxAgeSeconds);

    /// <exception cref="RootKeyConfigurationException">A start-up refusal that names the setting.</exception>
    public static KmsCacheSettings From(IConfiguration configuration)
    {
        IConfigurationSection section = configuration.GetSection(Section);
        return new KmsCacheSettings(
            Read(section, nameof(Tokens), Default.Tokens),
            Read(section, nameof(Roles), Default.Roles),
            Read(section, nameof(Keys), Default.Keys),
            Read(section, nameof(KeyMaterial), Default.KeyMaterial),
            Read(section, nameof(MaxAgeSeconds), Default.MaxAgeSeconds, max: 3600));
    }

    private static int Read(IConfigurationSection section, string name, int fallback, int max = 10_000_000)
    {
        string? value = section[name];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number > max)
        {
            throw new RootKeyConfigurationException(name == nameof(MaxAgeSeconds)
                ? $"{Section}:{name} must be a whole number of seconds from 0 to {max} (0 reads every row again on each request)."
                : $"{Section}:{name} must be a whole number of entries from 0 to {max} (0 turns that cache off).");
        }

        return number;
    }
}
