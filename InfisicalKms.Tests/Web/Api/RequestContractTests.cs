using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using InfisicalKms.Web.Api;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>
/// Issue #12, item 5: each route's documented request (its body and query records, which are also the
/// OpenAPI document the fuzz tests read) is exactly what its handler accepts. The handler reads every
/// documented field (checked here, black-box), and nothing else (refused by <see cref="RequestContract"/>).
/// </summary>
public sealed partial class RequestContractTests(LifecycleServerFixture server) : IClassFixture<LifecycleServerFixture>
{
    [Fact]
    public async Task EveryDocumentedBodyField_IsReadAndValidatedByItsHandler()
    {
        // Arrange: one key of each usage, since a batch's own checks need a key that fits the route.
        string[] keys =
        [
            await KeyAsync("aes-256-gcm"), await KeyAsync("ECC_NIST_P256"), await KeyAsync("HMAC_SHA_256"),
        ];
        var failures = new List<string>();
        int fields = 0;

        foreach ((RouteEndpoint route, string method, Type body) in Routes().Where(r => r.Body is not null).Select(r => (r.Route, r.Method, r.Body!)))
        {
            foreach (string path in RequestContract.FieldPaths(body))
            {
                fields++;
                bool read = false;
                foreach (string keyId in keys)
                {
                    HttpResponseMessage response = await SendAsync(method, Url(route, keyId), WrongType(path));
                    if (await NamesFieldAsync(response, path))
                    {
                        read = true;
                        break;
                    }
                }

                if (!read)
                {
                    failures.Add($"{method} {route.RoutePattern.RawText}: a wrong type for '{path}' is not reported");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(fields >= 60, $"only {fields} documented fields were found");
    }

    [Fact]
    public async Task EveryDocumentedQueryParameterWithARule_IsReadAndValidatedByItsHandler()
    {
        var failures = new List<string>();
        foreach ((RouteEndpoint route, string method, Type query) in Routes().Where(r => r.Query is not null).Select(r => (r.Route, r.Method, r.Query!)))
        {
            foreach ((string name, System.Reflection.PropertyInfo member) in RequestContract.Members(query))
            {
                if (InvalidQueryValue(member) is not { } value)
                {
                    continue;   // free text (search, eventType): no value is wrong
                }

                HttpResponseMessage response = await SendAsync(method, $"{Url(route, Guid.Empty.ToString())}?{name}={Uri.EscapeDataString(value)}", null);
                if (!await NamesFieldAsync(response, name))
                {
                    failures.Add($"{method} {route.RoutePattern.RawText}: '{name}={value}' is not reported ({(int)response.StatusCode})");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void RequireBodyField_UndocumentedField_IsRefused()
    {
        RequestContract contract = RequestContract.For(Endpoint(new JsonRequestBody(typeof(BatchBody<EncryptBody>))));

        contract.RequireBodyField("items");
        contract.RequireBodyField("items[7].plaintext");
        InvalidOperationException refused = Assert.Throws<InvalidOperationException>(() => contract.RequireBodyField("items[0].keyId"));
        Assert.Contains("items[].keyId", refused.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => contract.RequireBodyField("plaintext"));
    }

    [Fact]
    public void RequireQuery_UndocumentedParameter_IsRefused()
    {
        RequestContract contract = RequestContract.For(Endpoint(new QueryParameters(typeof(KeyListQuery))));

        contract.RequireQuery("limit");
        Assert.Throws<InvalidOperationException>(() => contract.RequireQuery("page"));
        Assert.Throws<InvalidOperationException>(() => RequestContract.For(Endpoint()).RequireBodyField("name"));
    }

    private async Task<string> KeyAsync(string algorithm)
    {
        string usage = algorithm.StartsWith("aes", StringComparison.Ordinal) ? "encrypt-decrypt" : algorithm.StartsWith("HMAC", StringComparison.Ordinal) ? "generate-verify-mac" : "sign-verify";
        HttpResponseMessage response = await server.Admin.PostAsJsonAsync("/api/v1/kms/keys",
            new { projectId = server.ProjectId, name = LifecycleApi.Name("contract"), keyUsage = usage, algorithm });
        return (string)(await ApiAssert.OkAsync(response))["key"]!["id"]!;
    }

    private IEnumerable<(RouteEndpoint Route, string Method, Type? Body, Type? Query)> Routes() =>
        server.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .Select(e => (e, e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Single(),
                e.Metadata.GetMetadata<JsonRequestBody>()?.Type, e.Metadata.GetMetadata<QueryParameters>()?.Type));

    private string Url(RouteEndpoint route, string keyId) => Parameter().Replace(route.RoutePattern.RawText!, m => m.Groups[1].Value switch
    {
        "keyId" => keyId,
        "projectId" => server.ProjectId,
        "keyName" => "some-key",
        _ => Guid.NewGuid().ToString(),
    });

    /// <summary>A body whose field <paramref name="path"/> (<c>keys[].name</c>) holds an object, which no field takes.</summary>
    private static string WrongType(string path)
    {
        JsonNode value = new JsonObject();
        foreach (string segment in path.Split('.').Reverse())
        {
            value = segment.EndsWith("[]", StringComparison.Ordinal)
                ? new JsonObject { [segment[..^2]] = new JsonArray(value) }
                : new JsonObject { [segment] = value };
        }

        return value.ToJsonString();
    }

    /// <summary>A 422 with a detail for the field, or a batch item error for it (<c>items[].x</c> is item field <c>x</c>).</summary>
    private static async Task<bool> NamesFieldAsync(HttpResponseMessage response, string path)
    {
        JsonNode? body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        string indexed = path.Replace("[]", "[0]", StringComparison.Ordinal);
        if ((int)response.StatusCode == 422)
        {
            return body!["details"]!.AsArray().Any(d => (string?)d!["field"] == indexed);
        }

        string? itemError = (int)response.StatusCode == 200 ? (string?)body!["items"]?[0]?["error"]?["message"] : null;
        return path.StartsWith("items[].", StringComparison.Ordinal) && itemError is not null
            && itemError.Split("; ").Any(issue => issue.StartsWith(path["items[].".Length..] + ": ", StringComparison.Ordinal));
    }

    private static string? InvalidQueryValue(System.Reflection.PropertyInfo member)
    {
        Type type = Nullable.GetUnderlyingType(member.PropertyType) ?? member.PropertyType;
        bool constrained = member.GetCustomAttributes(true).Any(a => a is System.ComponentModel.DataAnnotations.AllowedValuesAttribute);
        return type == typeof(int) ? "x" : type == typeof(Guid) ? "not-a-uuid" : type == typeof(DateTimeOffset) ? "yesterday"
            : constrained ? "not-allowed" : ContractSchemas.IsRequired(member) ? "" : null;
    }

    private Task<HttpResponseMessage> SendAsync(string method, string url, string? json)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        return server.Admin.SendAsync(request);
    }

    private static Endpoint Endpoint(params object[] metadata) => new(_ => Task.CompletedTask, new EndpointMetadataCollection(metadata), "test route");

    [GeneratedRegex(@"\{([A-Za-z]+)\}")]
    private static partial Regex Parameter();
}
