using System.Text.Json.Nodes;

namespace InfisicalKms.Tests.Web.Api.Fuzz;

/// <summary>
/// One operation of the server's own OpenAPI document: what the fuzz test generates requests for.
/// <see cref="ItemsFailAlone"/> marks a batch (its answer is a <c>BatchResponse</c>): an invalid array item is
/// that item's error in a 200 answer (spec §10.6), so only the body as a whole is made invalid there.
/// </summary>
public sealed record ApiOperation(
    string OperationId,
    string Method,
    string PathTemplate,
    IReadOnlyList<ApiParameter> PathParameters,
    IReadOnlyList<ApiParameter> QueryParameters,
    Schema? Body,
    bool Authenticated,
    bool ItemsFailAlone)
{
    public bool HasBody => Body is not null;

    public bool IsRead => Method is "GET";

    /// <summary>Every operation of <paramref name="document"/>, in document order.</summary>
    public static IReadOnlyList<ApiOperation> ReadAll(JsonObject document)
    {
        var operations = new List<ApiOperation>();
        foreach ((string path, JsonNode? item) in document["paths"]!.AsObject())
        {
            foreach ((string method, JsonNode? node) in item!.AsObject())
            {
                JsonObject operation = node!.AsObject();
                var parameters = (operation["parameters"]?.AsArray() ?? []).Select(p => p!.AsObject()).ToList();
                ApiParameter[] In(string location) => parameters
                    .Where(p => (string?)p["in"] == location)
                    .Select(p => new ApiParameter((string)p["name"]!, (bool?)p["required"] ?? false, new Schema(document, p["schema"]!.AsObject())))
                    .ToArray();
                JsonObject? body = operation["requestBody"]?["content"]?["application/json"]?["schema"]?.AsObject();
                operations.Add(new ApiOperation(
                    (string?)operation["operationId"] ?? $"{method.ToUpperInvariant()} {path}",
                    method.ToUpperInvariant(),
                    path,
                    In("path"),
                    In("query"),
                    body is null ? null : new Schema(document, body),
                    operation["security"] is JsonArray { Count: > 0 },
                    ((string?)operation["responses"]?["200"]?["content"]?["application/json"]?["schema"]?["$ref"])?.EndsWith("BatchResponse", StringComparison.Ordinal) ?? false));
            }
        }

        return operations;
    }
}

public sealed record ApiParameter(string Name, bool Required, Schema Schema);

/// <summary>A JSON Schema object of the document, with <c>$ref</c> resolved, read through the keywords the server emits.</summary>
public sealed class Schema
{
    private readonly JsonObject _document;
    private readonly JsonObject _node;

    public Schema(JsonObject document, JsonObject node)
    {
        _document = document;
        _node = node["$ref"] is JsonValue reference
            ? document["components"]!["schemas"]![((string)reference!).Split('/')[^1]]!.AsObject()
            : node;
    }

    /// <summary>The JSON type, <c>null</c> aside: <c>string</c>, <c>integer</c>, <c>number</c>, <c>boolean</c>, <c>array</c> or <c>object</c>.</summary>
    public string Type => Types.FirstOrDefault(t => t != "null") ?? (Properties.Count > 0 ? "object" : "any");

    public bool Nullable => Types.Contains("null");

    public IReadOnlyList<string> Types => _node["type"] switch
    {
        JsonArray many => many.Select(t => (string)t!).ToArray(),
        JsonValue one => [(string)one!],
        _ => [],
    };

    public IReadOnlyList<JsonNode> Enum => _node["enum"]?.AsArray().Select(e => e!.DeepClone()).ToArray() ?? [];

    public string? Format => (string?)_node["format"];

    public string? Pattern => (string?)_node["pattern"];

    public int? MinLength => (int?)_node["minLength"];

    public int? MaxLength => (int?)_node["maxLength"];

    public long? Minimum => _node["minimum"] is JsonValue v ? (long)v.GetValue<double>() : null;

    public long? Maximum => _node["maximum"] is JsonValue v ? (long)v.GetValue<double>() : null;

    public int? MinItems => (int?)_node["minItems"];

    public int? MaxItems => (int?)_node["maxItems"];

    public Schema? Items => _node["items"] is JsonObject items ? new Schema(_document, items) : null;

    public IReadOnlyList<(string Name, Schema Schema)> Properties =>
        _node["properties"]?.AsObject().Select(p => (p.Key, new Schema(_document, p.Value!.AsObject()))).ToArray() ?? [];

    public IReadOnlySet<string> Required => (_node["required"]?.AsArray().Select(r => (string)r!) ?? []).ToHashSet();

    /// <summary>True when the empty string breaks a rule of this string schema.</summary>
    public bool RefusesEmpty => MinLength > 0 || Pattern is not null || Format is "email" or "uuid" || Enum.Count > 0;
}
