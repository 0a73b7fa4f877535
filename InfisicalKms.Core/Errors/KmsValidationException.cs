namespace InfisicalKms.Core.Errors;

/// <summary>One failing field of a 422 (spec §2.3).</summary>
public sealed record ValidationIssue(string Field, string Message);

/// <summary>422 ValidationFailure with one issue per failing field, in the order they were found.</summary>
public sealed class KmsValidationException(IReadOnlyList<ValidationIssue> issues)
    : KmsException(422, "ValidationFailure", string.Join("; ", issues.Select(i => $"{i.Field}: {i.Message}")))
{
    public KmsValidationException(string field, string message)
        : this([new ValidationIssue(field, message)])
    {
    }

    public IReadOnlyList<ValidationIssue> Issues { get; } = issues;
}
