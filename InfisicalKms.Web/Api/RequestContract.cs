using System.Collections.Concurrent;
using System.Reflection;

namespace InfisicalKms.Web.Api;

/// <summary>
/// The fields a route documents: the members of its body record (<see cref="JsonRequestBody"/>) and of its query
/// record (<see cref="QueryParameters"/>), as the OpenAPI document shows them. <see cref="RequestValidator"/>
/// reads only these, so the document cannot promise less than a handler accepts.
/// </summary>
/// <remarks>
/// Body paths are JSON paths with array indices left out: <c>projectId</c>, <c>keys[].keyMaterial</c>,
/// <c>items[].plaintext</c>. A handler that reads a field its contract does not name is a programming error,
/// refused on first use; every route's tests meet it.
/// </remarks>
public sealed class RequestContract
{
    private static readonly ConcurrentDictionary<Endpoint, RequestContract> Cache = new();

    private readonly HashSet<string> _body;
    private readonly HashSet<string> _query;
    private readonly string _route;

    private RequestContract(string route, Type? body, Type? query)
    {
        _route = route;
        _body = body is null ? [] : [.. FieldPaths(body)];
        _query = query is null ? [] : [.. Members(query).Select(m => m.Name)];
        BodyType = body;
        QueryType = query;
    }

    public Type? BodyType { get; }

    public Type? QueryType { get; }

    public static RequestContract For(Endpoint? endpoint) =>
        endpoint is null
            ? new RequestContract("(no endpoint)", null, null)
            : Cache.GetOrAdd(endpoint, e => new RequestContract(
                e.DisplayName ?? "(unnamed)",
                e.Metadata.GetMetadata<JsonRequestBody>()?.Type,
                e.Metadata.GetMetadata<QueryParameters>()?.Type));

    /// <summary>The contract of a body record outside a request, for the UI that applies a route's rules itself.</summary>
    public static RequestContract ForBody<TBody>() => new(typeof(TBody).Name, typeof(TBody), null);

    /// <summary>Throws unless <paramref name="path"/> (indices allowed: <c>keys[3].name</c>) is documented.</summary>
    public void RequireBodyField(string path)
    {
        string normalized = IndexFree(path);
        if (!_body.Contains(normalized))
        {
            throw new InvalidOperationException(
                $"{_route} reads the body field '{normalized}', which its documented body ({BodyType?.Name ?? "none"}) does not have.");
        }
    }

    public void RequireQuery(string name)
    {
        if (!_query.Contains(name))
        {
            throw new InvalidOperationException(
                $"{_route} reads the query parameter '{name}', which its documented query ({QueryType?.Name ?? "none"}) does not have.");
        }
    }

    /// <summary>Every JSON path of a body record: its members, and the members of records and list elements inside.</summary>
    public static IEnumerable<string> FieldPaths(Type type, string prefix = "")
    {
        foreach ((string name, PropertyInfo property) in Members(type))
        {
            string path = prefix + name;
            yield return path;
            Type member = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            Type? element = ElementType(member);
            string nested = element is null ? path + "." : path + "[].";
            foreach (string inner in IsRecord(element ?? member) ? FieldPaths(element ?? member, nested) : [])
            {
                yield return inner;
            }
        }
    }

    /// <summary>A record's members with their JSON names (camelCase, as <see cref="ApiJson.Options"/> writes them).</summary>
    public static IEnumerable<(string Name, PropertyInfo Property)> Members(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .OrderBy(p => p.MetadataToken)
            .Select(p => (ApiJson.Options.PropertyNamingPolicy!.ConvertName(p.Name), p));

    /// <summary>The element type of a list member, or null.</summary>
    public static Type? ElementType(Type type) =>
        type == typeof(string) ? null
        : type.IsArray ? type.GetElementType()
        : type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];

    private static bool IsRecord(Type type) =>
        type.Namespace == typeof(RequestContract).Namespace + ".Contracts" && type.IsClass && type != typeof(string);

    private static string IndexFree(string path)
    {
        if (!path.Contains('['))
        {
            return path;
        }

        var text = new System.Text.StringBuilder(path.Length);
        bool inIndex = false;
        foreach (char c in path)
        {
            if (c == '[')
            {
                inIndex = true;
                text.Append("[]");
            }
            else if (c == ']')
            {
                inIndex = false;
            }
            else if (!inIndex)
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }
}

/// <summary>Endpoint metadata: the documented query parameters of a route, as the members of a record.</summary>
public sealed record QueryParameters(Type Type);
