using System.Globalization;
using InfisicalKms.Core.RootKeys;
using Microsoft.Extensions.Configuration;

namespace InfisicalKms.Core.Caching;

/// <summary>
/// The in-memory caches (<c>Kms:Cache:*</c>): entry limits, each a count of entries (0 turns that cache
/// off), and how often the change stamps written by other processes sharing the database are read
/// (<see cref="CacheStampWatcher"/>), which bounds how long such a change goes unseen. Changes made through
/// this process are seen at once. The memory each cache costs is in the README.
/// </summary>
public sealed record KmsCacheSettings(int Tokens, int Roles, int Keys, int KeyMaterial, int PollMilliseconds = 1000)
{
    public const string Section = "Kms:Cache";

    public static readonly KmsCacheSettings Default = new(Tokens: 10_000, Roles: 50_000, Keys: 100_000, KeyMaterial: 100_000);

    public TimeSpan PollInterval => TimeSpan.FromMilliseconds(PollMilliseconds);

    /// <exception cref="RootKeyConfigurationException">A start-up refusal that names the setting.</exception>
    public static KmsCacheSettings From(IConfiguration configuration)
    {
        IConfigurationSection section = configuration.GetSection(Section);
        return new KmsCacheSettings(
            Read(section, nameof(Tokens), Default.Tokens),
            Read(section, nameof(Roles), Default.Roles),
            Read(section, nameof(Keys), Default.Keys),
            Read(section, nameof(KeyMaterial), Default.KeyMaterial),
            Read(section, nameof(PollMilliseconds), Default.PollMilliseconds, min: 10, max: 60_000));
    }

    private static int Read(IConfigurationSection section, string name, int fallback, int min = 0, int max = 10_000_000)
    {
        string? value = section[name];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number < min || number > max)
        {
            throw new RootKeyConfigurationException(name == nameof(PollMilliseconds)
                ? $"{Section}:{name} must be a whole number of milliseconds from {min} to {max} (how often changes made by other processes are looked for)."
                : $"{Section}:{name} must be a whole number of entries from 0 to {max} (0 turns that cache off).");
        }

        return number;
    }
}
