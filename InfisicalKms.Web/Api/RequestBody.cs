using System.Buffers;
using System.IO.Pipelines;
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

        // The body is read from Kestrel's pipe and copied once into a pooled buffer: no per-request chunk
        // or growing stream (the profile of a warm encrypt showed them as most of its allocation).
        PipeReader reader = request.BodyReader;
        ReadResult result;
        while (true)
        {
            result = await reader.ReadAsync(http.RequestAborted);
            if (result.Buffer.Length > limit)
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                throw TooLarge(limit);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                break;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }

        int length = (int)result.Buffer.Length;
        if (length == 0)
        {
            reader.AdvanceTo(result.Buffer.End);
            return EmptyObject;
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            result.Buffer.CopyTo(rented);
            reader.AdvanceTo(result.Buffer.End);
            return Parse(request, rented.AsMemory(0, length), itemsMember);
        }
        finally
        {
            // Bodies carry plaintext and key material to import: the pooled buffer goes back cleared.
            ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    private static JsonElement Parse(HttpRequest request, ReadOnlyMemory<byte> json, string? itemsMember)
    {
        if (!IsJson(request.ContentType))
        {
            throw new ApiRequestException(415, "UnsupportedMediaType", "Content-Type must be application/json");
        }

        if (!Utf8.IsValid(json.Span))
        {
            throw NotJson();
        }

        try
        {
            // The document reads the pooled buffer in place; the clone returned outlives both.
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
