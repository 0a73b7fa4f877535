using System.Globalization;

namespace InfisicalKms.Core;

/// <summary>
/// Whole numbers in settings, as the README documents them: digits only, no sign, spaces or decimals; an
/// absent or blank value means the setting's default.
/// </summary>
/// <remarks>
/// Settings classes bind such values as text and read them through here, rather than binding an
/// <c>int</c>: the configuration binder would throw on the first value it cannot convert, with its own
/// message, where start-up must report every bad value at once, each naming its setting.
/// </remarks>
public static class SettingNumbers
{
    /// <summary>Whether <paramref name="text"/> is blank (<paramref name="value"/> null) or a number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static bool TryParse(string? text, int min, int max, out int? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number < min || number > max)
        {
            return false;
        }

        value = number;
        return true;
    }

    /// <summary>The value of a setting that start-up has validated; null when blank.</summary>
    /// <exception cref="InvalidOperationException">The value was never validated (a settings object built by hand with a bad value).</exception>
    public static int? Parse(string? text, int min, int max, string setting) =>
        TryParse(text, min, max, out int? value) ? value : throw new InvalidOperationException($"{setting} was not validated: \"{text}\".");
}
