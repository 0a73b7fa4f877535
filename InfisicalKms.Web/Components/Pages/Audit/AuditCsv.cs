using System.Globalization;
using System.Text;
using System.Text.Json;
using InfisicalKms.Core.Audit;

namespace InfisicalKms.Web.Components.Pages.Audit;

/// <summary>
/// Audit records as CSV (RFC 4180: CRLF line ends; a field holding a comma, quote or line break is quoted, with
/// quotes doubled), one header row, then one row per record with every field of spec §10.7.3.
/// </summary>
/// <remarks>
/// Records hold text chosen by clients (user agents, names, error text). A spreadsheet would run a cell starting
/// with <c>= + - @</c> (or a tab or carriage return) as a formula, so such cells get a leading single quote (OWASP
/// "CSV injection"). The export is for reading, not for re-import; the quote is visible there.
/// </remarks>
public static class AuditCsv
{
    public static readonly IReadOnlyList<string> Header =
    [
        "id", "createdAt", "eventType", "outcome", "actorType", "actorId", "actorName", "projectId", "keyId",
        "ipAddress", "userAgent", "metadata", "hash", "prevHash",
    ];

    public static string Build(IEnumerable<AuditEvent> records)
    {
        var csv = new StringBuilder();
        AppendRow(csv, Header);
        foreach (AuditEvent record in records)
        {
            AppendRow(csv,
            [
                record.Id.ToString(), Timestamp(record.CreatedAt), record.EventType, record.Outcome, record.ActorType,
                record.ActorId?.ToString(), record.ActorName, record.ProjectId?.ToString(), record.KeyId?.ToString(),
                record.IpAddress, record.UserAgent, JsonSerializer.Serialize(record.Metadata), record.Hash, record.PrevHash,
            ]);
        }

        return csv.ToString();
    }

    /// <summary>One field: neutralised if a spreadsheet would read it as a formula, then quoted if RFC 4180 requires it.</summary>
    public static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <summary>The emitted form of spec §1.6: UTC with milliseconds.</summary>
    public static string Timestamp(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void AppendRow(StringBuilder csv, IEnumerable<string?> cells) =>
        csv.AppendJoin(',', cells.Select(Cell)).Append("\r\n");
}
