using System.Text;
using InfisicalKms.Web.Api;

namespace InfisicalKms.Web.Components.Shared;

/// <summary>The panels' base64 switches: the same strict base64 as the API (spec §1.4), and strict UTF-8.</summary>
public static class Base64Text
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The bytes behind a panel's input: the text's UTF-8, or its base64 decoding when the switch is on.</summary>
    public static bool TryGetBytes(string? text, bool isBase64, out byte[] bytes)
    {
        text ??= "";
        if (!isBase64)
        {
            bytes = Encoding.UTF8.GetBytes(text);
            return true;
        }

        string trimmed = text.Trim();
        if (!StrictBase64.IsValid(trimmed))
        {
            bytes = [];
            return false;
        }

        bytes = Convert.FromBase64String(trimmed);
        return true;
    }

    /// <summary>The bytes as UTF-8 text, or null when they are not valid UTF-8.</summary>
    public static string? TryUtf8(byte[] bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    public const string InvalidBase64Message = "The data is not valid base64 (standard alphabet, with = padding).";
}
