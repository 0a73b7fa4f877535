using System.Text.Json;
using System.Text.Unicode;
using InfisicalKms.Core.Errors;

namespace InfisicalKms.Web.Api;

/// <summary>
/// Step 3 of spec §1.8: body size (§1.9), content type and JSON syntax. Absent or empty bodies are <c>{}</c>.
/// JSON text is UTF-8 (RFC 8259 §8.1) whose strings name characters, so bytes that are not UTF-8, and
/// string or member-name escapes of a lone UTF-16 surrogate, make the body not valid JSON, wherever they are.
/// </summary>
public static class RequestBody
{
    public const int DefaultLimit = 1_048_576;
    public const int CryptoLimit = 2_097_152;

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <param name="itemsMember">
    /// A batch route's array of items (spec §10.6): each item is checked on its own and fails alone, so the
    /// Unicode check here leaves its elements to the route.
    /// </param>
    public static async Task<JsonElement> ReadObjectAsync(HttpContext http, int limit, string? itemsMember = null)
    {
        HttpRequest request = http.Request;
        if (request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }

        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81_920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw TooLarge(limit);
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return EmptyObject;
        }

        if (!IsJson(request.ContentType))
        {
            throw new ApiRequestException(415, "UnsupportedMediaType", "Content-Type must be application/json");
        }

        ReadOnlyMemory<byte> json = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (!Utf8.IsValid(json.Span))
        {
            throw NotJson();
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ApiRequestException(400, "BadRequest", "Request body must be a JSON object");
            }

            if (JsonUnicode.FindUnpairedSurrogate(json.Span, itemsMember) is not null)
            {
                throw NotJson();
            }

            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw NotJson();
        }
    }

    private static ApiRequestException NotJson() => new(400, "BadRequest", "Request body is not valid JSON");

    private static bool IsJson(string? contentType) =>
        contentType is not null
        && contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private static ApiRequestException TooLarge(int limit) =>
        new(413, "PayloadTooLarge", $"Request body exceeds the limit of {limit} bytes");
}

/// <summary>A request refused before validation: 400 invalid JSON, 413 too large, 415 not JSON.</summary>
public sealed class ApiRequestException(int status, string error, string message) : KmsException(status, error, message);
