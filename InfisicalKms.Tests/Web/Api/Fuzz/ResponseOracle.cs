using System.Text.Json;
using System.Text.Json.Nodes;

namespace InfisicalKms.Tests.Web.Api.Fuzz;

/// <summary>What every answer to an invalid request must be: its expected 4xx, in the error body of spec §2.1–§2.3.</summary>
public static class ResponseOracle
{
    private static readonly Dictionary<int, string[]> ErrorNames = new()
    {
        [400] = ["BadRequest"],
        [401] = ["UnauthorizedError"],
        [403] = ["PermissionDenied", "ForbiddenError"],
        [404] = ["NotFound"],
        [413] = ["PayloadTooLarge"],
        [414] = ["UriTooLong"],
        [415] = ["UnsupportedMediaType"],
        [422] = ["ValidationFailure"],
        [429] = ["RateLimitExceeded"],
        [431] = ["RequestHeaderFieldsTooLarge"],
    };

    /// <summary>Every way the answer breaks the contract; empty when it holds.</summary>
    public static List<string> Check(FuzzCase fuzzCase, HttpResponseMessage response, byte[] body)
    {
        var problems = new List<string>();
        int status = (int)response.StatusCode;
        if (status >= 500)
        {
            problems.Add($"answered {status}: a server error");
        }
        else if (status < 400)
        {
            problems.Add($"answered {status}: an invalid request was carried out");
        }

        if (!fuzzCase.Expected.Statuses.Contains(status))
        {
            problems.Add($"expected {string.Join(" or ", fuzzCase.Expected.Statuses)}, got {status}");
        }

        if (status < 400)
        {
            return problems;
        }

        string? requestId = response.Headers.TryGetValues("X-Request-Id", out IEnumerable<string>? ids) ? ids.SingleOrDefault() : null;
        if (response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            problems.Add($"Content-Type is {response.Content.Headers.ContentType}, not application/json");
        }

        if (response.Headers.CacheControl?.NoStore != true)
        {
            problems.Add("no Cache-Control: no-store");
        }

        JsonObject? error;
        try
        {
            error = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            error = null;
        }

        if (error is null)
        {
            problems.Add("the body is not a JSON object");
            return problems;
        }

        string[] expectedMembers = status == 422 ? ["reqId", "statusCode", "message", "error", "details"] : ["reqId", "statusCode", "message", "error"];
        if (!error.Select(p => p.Key).Order().SequenceEqual(expectedMembers.Order()))
        {
            problems.Add($"members are [{string.Join(", ", error.Select(p => p.Key))}], not [{string.Join(", ", expectedMembers)}]");
        }

        if (Text(error["reqId"]) is not { Length: > 0 } reqId || reqId != requestId)
        {
            problems.Add($"reqId {error["reqId"]?.ToJsonString()} is not the X-Request-Id header {requestId}");
        }

        if (error["statusCode"] is not JsonValue code || code.GetValueKind() != JsonValueKind.Number || code.GetValue<int>() != status)
        {
            problems.Add($"statusCode {error["statusCode"]?.ToJsonString()} is not {status}");
        }

        string? message = Text(error["message"]);
        if (string.IsNullOrEmpty(message))
        {
            problems.Add("message is not a non-empty string");
        }

        if (!ErrorNames.TryGetValue(status, out string[]? names) || !names.Contains(Text(error["error"])))
        {
            problems.Add($"error {error["error"]?.ToJsonString()} is not the class of {status}");
        }

        Expectation expected = fuzzCase.Expected;
        if (expected.Message is not null && message is not null && (expected.MessageIsPrefix ? !message.StartsWith(expected.Message, StringComparison.Ordinal) : message != expected.Message))
        {
            problems.Add($"message is \"{message}\"");
        }

        if (status == 422)
        {
            CheckDetails(error["details"], message, expected, problems);
        }

        return problems;
    }

    private static void CheckDetails(JsonNode? details, string? message, Expectation expected, List<string> problems)
    {
        if (details is not JsonArray { Count: > 0 } entries)
        {
            problems.Add("details is not a non-empty array");
            return;
        }

        var parsed = new List<(string Field, string Message)>();
        foreach (JsonNode? entry in entries)
        {
            if (entry is not JsonObject item || item.Count != 2 || Text(item["field"]) is not { } field || Text(item["message"]) is not { Length: > 0 } text)
            {
                problems.Add($"details entry {entry?.ToJsonString()} is not {{ field, message }}");
                return;
            }

            parsed.Add((field, text));
        }

        if (parsed.Select(p => p.Field).Distinct().Count() != parsed.Count)
        {
            problems.Add("details has two entries for one field");
        }

        if (message != string.Join("; ", parsed.Select(p => $"{p.Field}: {p.Message}")))
        {
            problems.Add("message is not the details joined as '<field>: <message>; …'");
        }

        if (expected.Field is null)
        {
            return;
        }

        var matching = parsed.Where(p => expected.FieldIsPrefix
            ? p.Field == expected.Field || p.Field.StartsWith(expected.Field + "[", StringComparison.Ordinal)
            : p.Field == expected.Field).ToList();
        if (matching.Count == 0)
        {
            problems.Add($"details name no '{expected.Field}'");
        }
        else if (expected.FieldMessage is not null && matching.All(p => p.Message != expected.FieldMessage))
        {
            problems.Add($"details say '{matching[0].Message}' for {matching[0].Field}, not '{expected.FieldMessage}'");
        }
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}
