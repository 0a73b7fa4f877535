using System.Globalization;
using System.Text;
using System.Text.Json;
using InfisicalKms.Web.Api;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;

namespace InfisicalKms.Web.Http;

/// <summary>
/// Rewrites one of Kestrel's refusals (an HTTP/1.x 4xx/5xx response with <c>Content-Length: 0</c> and
/// <c>Connection: close</c>) into the same response with the JSON error body of spec §2.1. Messages say what
/// is wrong in general terms and never echo the request's bytes.
/// </summary>
/// <remarks>
/// Kestrel closes the connection after every refusal. Requiring <c>Connection: close</c> keeps the added body
/// harmless even where the client expects none (a refused HEAD): nothing follows it on that connection.
/// </remarks>
internal static class RefusalResponse
{
    private const int ReasonStart = 13;   // "HTTP/1.1 400 " comes before the reason phrase

    private static readonly string[] ReplacedHeaders = ["Content-Length", "Content-Type", "Cache-Control", "X-Request-Id"];

    /// <summary>The rewritten response, or null when <paramref name="response"/> is not such a refusal.</summary>
    public static byte[]? TryRewrite(ReadOnlySpan<byte> response, KestrelServerLimits limits)
    {
        int headersEnd = response.IndexOf("\r\n\r\n"u8);
        if (!response.StartsWith("HTTP/1."u8) || headersEnd < ReasonStart - 1 || headersEnd + 4 != response.Length
            || !int.TryParse(response[9..12], NumberStyles.None, CultureInfo.InvariantCulture, out int status)
            || status is < 400 or > 599)
        {
            return null;
        }

        string[] lines = Encoding.Latin1.GetString(response[..headersEnd]).Split("\r\n");
        var head = new StringBuilder(lines[0]).Append("\r\n");
        bool emptyBody = false, closes = false;
        foreach (string line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            string name = colon < 0 ? line : line[..colon];
            string value = colon < 0 ? "" : line[(colon + 1)..].Trim();
            emptyBody |= name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && value == "0";
            closes |= name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && value.Equals("close", StringComparison.OrdinalIgnoreCase);
            if (!ReplacedHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                head.Append(line).Append("\r\n");   // Date, Server, Connection: close (and Allow on a 405)
            }
        }

        if (!emptyBody || !closes)
        {
            return null;
        }

        string reason = lines[0].Length > ReasonStart ? lines[0][ReasonStart..] : ReasonPhrases.GetReasonPhrase(status);
        (string error, string message) = Describe(status, reason, limits);
        string reqId = RequestIds.New();
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(reqId, status, message, error, null), ApiJson.Options);
        head.Append("Content-Type: application/json; charset=utf-8\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n")
            .Append("Cache-Control: no-store\r\n")
            .Append(CultureInfo.InvariantCulture, $"X-Request-Id: {reqId}\r\n\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body];
    }

    private static (string Error, string Message) Describe(int status, string reason, KestrelServerLimits limits) => status switch
    {
        400 => ("BadRequest", "The request is not valid HTTP: the request line, the path or a header is malformed or missing"),
        408 => ("RequestTimeout", "The request was not received in time"),
        414 => ("UriTooLong", string.Create(CultureInfo.InvariantCulture,
            $"Request URL exceeds the limit of {limits.MaxRequestLineSize} bytes")),
        431 => ("RequestHeaderFieldsTooLarge", string.Create(CultureInfo.InvariantCulture,
            $"Request headers exceed the limit of {limits.MaxRequestHeaderCount} headers or {limits.MaxRequestHeadersTotalSize} bytes")),
        500 => ("InternalServerError", ApiErrors.InternalMessage),
        _ => (PascalCase(reason), reason),
    };

    // "URI Too Long" -> "UriTooLong", "HTTP Version Not Supported" -> "HttpVersionNotSupported".
    private static string PascalCase(string phrase) => string.Concat(
        phrase.Split([' ', '-'], StringSplitOptions.RemoveEmptyEntries)
            .Select(word => char.ToUpperInvariant(word[0]) + word[1..].ToLowerInvariant()));
}
