using System.Net;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>Health (spec §10.8) and the OpenAPI description (§10.9).</summary>
[Collection(ApiDescriptionCollection.Name)]
public sealed class StatusAndOpenApiTests(KmsWebApplicationFactory factory)
{
    private static readonly string[] PublicOperations =
    [
        "POST /api/v1/auth/universal-auth/login", "POST /api/v1/auth/token/renew", "POST /api/v1/auth/token/revoke",
        "POST /api/v1/admin/bootstrap", "GET /api/status",
    ];

    [Fact]
    public async Task Status_Get_ReturnsOkSoftwareRootKeyAndVersion()
    {
        HttpResponseMessage response = await factory.CreateClient().GetAsync("/api/status");

        JsonObject body = await ApiAssert.OkAsync(response);
        var expected = new JsonObject { ["status"] = "ok", ["rootKey"] = new JsonObject { ["strategy"] = "SOFTWARE" }, ["version"] = "1.0.0" };
        Assert.True(JsonNode.DeepEquals(expected, body), body.ToJsonString());
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("X-Request-Id").Single()));
    }

    [Fact]
    public async Task Status_InvalidAuthorizationHeader_IsIgnored()
    {
        HttpClient client = factory.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer expired-or-garbage");

        JsonObject body = await ApiAssert.OkAsync(await client.GetAsync("/api/status"));

        Assert.Equal("ok", (string?)body["status"]);
    }

    [Fact]
    public async Task OpenApi_Document_IsOpenApi3WithBearerScheme()
    {
        JsonObject document = await DocumentAsync();

        Assert.StartsWith("3.", (string)document["openapi"]!, StringComparison.Ordinal);
        JsonObject schemes = document["components"]!["securitySchemes"]!.AsObject();
        Assert.Contains(schemes, s => (string?)s.Value!["type"] == "http"
            && string.Equals((string?)s.Value["scheme"], "bearer", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task OpenApi_Paths_DescribeEveryImplementedRouteWithItsLabel()
    {
        JsonObject paths = (await DocumentAsync())["paths"]!.AsObject();

        var problems = new List<string>();
        foreach (KmsApiContractTests.ApiRoute route in KmsApiContractTests.Routes)
        {
            JsonNode? operation = paths[route.Pattern]?[route.Method.ToLowerInvariant()];
            if (operation is null)
            {
                problems.Add($"{route.Method} {route.Pattern}: not in the document");
            }
            else if ((string?)operation["x-compatibility"] != route.Label)
            {
                problems.Add($"{route.Method} {route.Pattern}: x-compatibility {operation["x-compatibility"]?.ToJsonString() ?? "absent"}, expected {route.Label}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task OpenApi_EveryOperation_HasCompatibilityLabelAndProtectedOnesRequireBearer()
    {
        JsonObject document = await DocumentAsync();
        string[] schemes = document["components"]!["securitySchemes"]!.AsObject().Select(s => s.Key).ToArray();

        var problems = new List<string>();
        foreach ((string path, JsonNode? item) in document["paths"]!.AsObject())
        {
            foreach ((string method, JsonNode? operation) in item!.AsObject())
            {
                string name = $"{method.ToUpperInvariant()} {path}";
                if ((string?)operation!["x-compatibility"] is not ("infisical" or "extension"))
                {
                    problems.Add($"{name}: x-compatibility {operation["x-compatibility"]?.ToJsonString() ?? "absent"}");
                }

                bool secured = operation["security"]?.AsArray().Any(r => r!.AsObject().Any(s => schemes.Contains(s.Key))) == true;
                if (!PublicOperations.Contains(name) && !secured)
                {
                    problems.Add($"{name}: no Bearer security requirement");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task OpenApi_Paths_IncludeEveryApiEndpointOfTheApp()
    {
        JsonObject paths = (await DocumentAsync())["paths"]!.AsObject();

        List<KmsApiContractTests.ApiRoute> endpoints = KmsApiContractTests.ApiEndpoints(factory.Services.GetRequiredService<EndpointDataSource>());

        Assert.All(endpoints, e => Assert.True(paths[e.Pattern]?[e.Method.ToLowerInvariant()] is not null, $"{e.Method} {e.Pattern} is not documented"));
    }

    private async Task<JsonObject> DocumentAsync()
    {
        HttpResponseMessage response = await factory.CreateClient().GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }
}
