using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace InfisicalKms.Core;

/// <summary>The slug rule of spec §4.2 (key names, get-by-name, project slugs) and slug generation (§8.5).</summary>
public static partial class SlugRule
{
    /// <summary>The first rule the (already trimmed) value breaks, or null when it is a valid slug.</summary>
    /// <param name="label">"Name", "Key name" or "Slug": the messages name it.</param>
    public static string? Check(string value, string label, int min, int max)
    {
        if (value.Length < min)
        {
            return $"{label} field must be at least {min} lowercase character{(min == 1 ? "" : "s")}";
        }

        if (value.Length > max)
        {
            return $"{label} field must be at most {max} lowercase characters";
        }

        return Pattern().IsMatch(value) ? null : $"{label} field can only contain lowercase letters, numbers, and hyphens";
    }

    /// <summary>Lower-cases, replaces every run outside a–z0–9 by one hyphen, trims hyphens, cuts to <paramref name="max"/>.</summary>
    public static string Slugify(string text, int max, string fallback)
    {
        string slug = NotSlug().Replace(text.ToLowerInvariant(), "-").Trim('-');
        slug = slug.Length > max ? slug[..max].TrimEnd('-') : slug;
        return slug.Length == 0 ? fallback : slug;
    }

    /// <summary><paramref name="length"/> random characters from a–z0–9.</summary>
    public static string RandomSuffix(int length) =>
        RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", length);

    [GeneratedRegex(@"^[a-z0-9]+(-[a-z0-9]+)*\z")]
    private static partial Regex Pattern();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotSlug();
}
