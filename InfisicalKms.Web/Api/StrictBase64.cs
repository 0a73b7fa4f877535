namespace InfisicalKms.Web.Api;

/// <summary>
/// Standard base64 with padding, nothing else (spec §1.4): no whitespace, no URL-safe characters, no
/// missing padding. .NET's decoder skips whitespace, so this check runs first.
/// </summary>
public static class StrictBase64
{
    public static bool IsValid(string text)
    {
        if (text.Length % 4 != 0)
        {
            return false;
        }

        int padding = text.EndsWith("==", StringComparison.Ordinal) ? 2 : text.EndsWith('=') ? 1 : 0;
        for (int i = 0; i < text.Length - padding; i++)
        {
            char c = text[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '+' || c == '/'))
            {
                return false;
            }
        }

        return true;
    }

    public static long DecodedLength(string text) =>
        (text.Length / 4 * 3L) - (text.EndsWith("==", StringComparison.Ordinal) ? 2 : text.EndsWith('=') ? 1 : 0);
}
