using System.Globalization;
using System.Text.RegularExpressions;
using InfisicalKms.Core.Errors;

namespace InfisicalKms.Core.Kmip;

/// <summary>
/// The rules of a KMIP client's fields and of a certificate's TTL, with their messages: the service enforces them,
/// and the API and the UI use them to say the same thing.
/// </summary>
public static partial class KmipClientRules
{
    public const int NameMaxLength = 64;

    public const int DescriptionMaxLength = 256;

    public const string TtlFormatMessage = "TTL must be a whole number followed by s, m, h, d or y, such as 30d";

    public const string TtlPositiveMessage = "TTL must be greater than 0";

    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(KmipSettings.MaxCertificateDays);

    public static readonly string TtlTooLongMessage = $"TTL must be at most {KmipSettings.MaxCertificateDays} days";

    public const string BothKeySources = "Give either keyAlgorithm (the server makes the key pair) or csr (you keep the private key), not both";

    private static readonly KmipPermissions AllPermissions = KmipPermissionNames.All.Aggregate(KmipPermissions.None, (all, p) => all | p);

    /// <summary>The name's first broken rule (the key-name slug rule, 1-64 characters), or null.</summary>
    public static string? NameProblem(string name) => SlugRule.Check(name, "Name", 1, NameMaxLength);

    /// <summary>
    /// A TTL as Infisical writes it: a whole number and a unit, <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c> or <c>y</c>
    /// (365 days); at most <see cref="KmipSettings.MaxCertificateDays"/> days.
    /// </summary>
    public static bool TryParseTtl(string text, out TimeSpan ttl, out string? problem)
    {
        ttl = TimeSpan.Zero;
        Match match = TtlPattern().Match(text);
        if (!match.Success)
        {
            problem = TtlFormatMessage;
            return false;
        }

        long count = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        long unit = match.Groups[2].Value switch
        {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => 365 * 86_400,
        };
        long seconds = count * unit;   // at most 999,999,999 years in seconds: well inside a long
        problem = seconds <= 0 ? TtlPositiveMessage : seconds > (long)MaxTtl.TotalSeconds ? TtlTooLongMessage : null;
        ttl = problem is null ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero;
        return problem is null;
    }

    /// <summary>The fields of a new or changed client; null members are not checked.</summary>
    /// <exception cref="KmsValidationException">One issue per failing field.</exception>
    public static void Validate(string? name, string? description, KmipPermissions? permissions)
    {
        var issues = new List<ValidationIssue>();
        if (name is not null && NameProblem(name) is { } nameProblem)
        {
            issues.Add(new ValidationIssue("name", nameProblem));
        }

        if (description is { Length: > DescriptionMaxLength })
        {
            issues.Add(new ValidationIssue("description", $"String must contain at most {DescriptionMaxLength} character(s)"));
        }

        if (permissions is { } granted && (granted & ~AllPermissions) != 0)
        {
            issues.Add(new ValidationIssue("permissions", $"Unknown permission: expected {string.Join(", ", KmipPermissionNames.Wire.Names)}"));
        }

        if (issues.Count > 0)
        {
            throw new KmsValidationException(issues);
        }
    }

    /// <summary>Exactly one key source, and a TTL within bounds.</summary>
    /// <exception cref="KmsValidationException">Both a key algorithm and a CSR, or a TTL out of bounds.</exception>
    public static void Validate(IssueKmipCertificateRequest request)
    {
        if (request.KeyAlgorithm is not null && request.CsrPem is not null)
        {
            throw new KmsValidationException("csr", BothKeySources);
        }

        if (request.Ttl is { } ttl && (ttl <= TimeSpan.Zero || ttl > MaxTtl))
        {
            throw new KmsValidationException("ttl", ttl <= TimeSpan.Zero ? TtlPositiveMessage : TtlTooLongMessage);
        }
    }

    [GeneratedRegex(@"^([0-9]{1,9})([smhdy])\z", RegexOptions.CultureInvariant)]
    private static partial Regex TtlPattern();
}
