using System.Text.RegularExpressions;

namespace InfisicalKms.Web.Api;

/// <summary>A pragmatic e-mail check: one @, a dotted domain, no spaces (as zod's email rule).</summary>
public static partial class EmailRule
{
    public static bool IsValid(string email) => Pattern().IsMatch(email);

    [GeneratedRegex(@"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\z")]
    private static partial Regex Pattern();
}
