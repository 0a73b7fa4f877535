using System.Text;

namespace InfisicalKms.Tests.Web.Api.Fuzz;

/// <summary>
/// One generated request and the answer the spec gives it. Every case carries exactly one change that makes
/// the request invalid (<see cref="Mutation"/>), and any number of changes the spec says are harmless
/// (<see cref="Noise"/>), so the expected status follows from the mutation alone (spec §1.8's order).
/// </summary>
public sealed record FuzzCase(
    string OperationId,
    string Seed,
    string Method,
    string PathAndQuery,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    string? ContentType,
    byte[]? Body,
    bool Chunked,
    string Mutation,
    IReadOnlyList<string> Noise,
    Expectation Expected)
{
    /// <summary>Everything needed to read the case without replaying it: body bytes beyond 400 are elided.</summary>
    public string Describe()
    {
        var text = new StringBuilder()
            .Append(Method).Append(' ').Append(Shorten(PathAndQuery, 300)).AppendLine()
            .Append("  invalid: ").AppendLine(Mutation)
            .Append("  noise: ").AppendLine(Noise.Count == 0 ? "none" : string.Join("; ", Noise))
            .Append("  expected: ").AppendLine(Expected.ToString());
        if (ContentType is not null)
        {
            text.Append("  Content-Type: ").AppendLine(ContentType);
        }

        foreach ((string name, string value) in Headers)
        {
            text.Append("  ").Append(name).Append(": ").AppendLine(Shorten(value, 80));
        }

        if (Body is not null)
        {
            text.Append("  body (").Append(Body.Length).Append(" bytes").Append(Chunked ? ", chunked" : "").Append("): ")
                .AppendLine(Shorten(Printable(Body.AsSpan(0, Math.Min(Body.Length, 400))), 400));
        }

        return text.Append("  replay: KMS_FUZZ_CASE=").Append(OperationId).Append('@').Append(Seed).ToString();
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..max] + $"… ({text.Length} chars)";

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            text.Append(b is >= 0x20 and < 0x7F ? (char)b : $"\\x{b:X2}");
        }

        return text.ToString();
    }
}

/// <summary>
/// The answer a case must get: one of <see cref="Statuses"/>, and where given the exact top-level message
/// (or its start, for messages with a number in them), and a <c>details</c> entry for <see cref="Field"/>
/// (or, with <see cref="FieldIsPrefix"/>, for one of its items: <c>keys[1].name</c> for <c>keys</c>).
/// </summary>
public sealed record Expectation(int[] Statuses, string? Message = null, bool MessageIsPrefix = false, string? Field = null, string? FieldMessage = null, bool FieldIsPrefix = false)
{
    public static Expectation Validation(string field, string? message = null) => new([422], Field: field, FieldMessage: message);

    public static Expectation Status(int status, string message, bool prefix = false) => new([status], message, prefix);

    public override string ToString() =>
        string.Join(" or ", Statuses)
        + (Message is null ? "" : $" \"{Message}{(MessageIsPrefix ? "…" : "")}\"")
        + (Field is null ? "" : $" with details for '{Field}{(FieldIsPrefix ? "…" : "")}'{(FieldMessage is null ? "" : $": {FieldMessage}")}");
}
