namespace InfisicalKms.Core;

/// <summary>
/// The one way text becomes an ID (spec §1.5): exactly 8-4-4-4-12 hex digits, in either case. .NET's own
/// parsers also take braces, no hyphens and surrounding whitespace, so <c>" &lt;id&gt;"</c> or
/// <c>"{&lt;id&gt;}"</c> would name the same object as the ID itself.
/// </summary>
public static class Uuids
{
    public static bool TryParse(string? text, out Guid id)
    {
        id = Guid.Empty;
        return text is { Length: 36 } && Guid.TryParseExact(text, "D", out id);
    }
}
