using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Http;

/// <summary>
/// Issue #12's security defect: Kestrel decodes <c>%2e%2e</c> and removes the dot segment before routing, so
/// <c>DELETE /api/v1/projects/{projectId}/identity-memberships/%2e%2e</c> reached the project delete and
/// removed the project and its keys. Against the real server binary, every such path is now refused before
/// routing and changes nothing.
/// </summary>
public sealed partial class ExactRoutingTests(ExactRoutingTests.Server server) : IClassFixture<ExactRoutingTests.Server>
{
    /// <summary>A dot segment, raw or percent-encoded, or an encoded slash, as a whole path segment.</summary>
    public static readonly string[] Variants = ["..", "%2e%2e", ".%2E", "%2E%2E", "%2e.", ".", "%2e", "%2E", "a%2Fb", "%2F", "%2f..%2f"];

    [Fact]
    public async Task DeleteIdentityMembership_EncodedDotDot_Returns422AndTheProjectSurvives()
    {
        string before = await server.SnapshotAsync();

        HttpResponseMessage response = await SendAsync(HttpMethod.Delete, $"/api/v1/projects/{server.ProjectId}/identity-memberships/%2e%2e");

        await AssertInvalidUuidAsync(response, "identityId");
        Assert.Equal(before, await server.SnapshotAsync());
        await ApiAssert.OkAsync(await server.Admin.GetAsync($"/api/v1/projects/{server.ProjectId}"));
        await ApiAssert.OkAsync(await server.Admin.GetAsync($"/api/v1/kms/keys/{server.KeyId}"));
    }

    [Fact]
    public async Task DeleteUserMembership_EncodedDotDot_Returns422AndTheProjectSurvives()
    {
        string before = await server.SnapshotAsync();

        HttpResponseMessage response = await SendAsync(HttpMethod.Delete, $"/api/v1/projects/{server.ProjectId}/memberships/%2e%2e");

        await AssertInvalidUuidAsync(response, "userId");
        Assert.Equal(before, await server.SnapshotAsync());
        await ApiAssert.OkAsync(await server.Admin.GetAsync($"/api/v1/projects/{server.ProjectId}"));
    }

    [Fact]
    public async Task EveryRouteWithAPathParameter_DotSegmentOrEncodedSlash_IsRefusedBeforeRoutingAndChangesNothing()
    {
        // The routes come from the server's own OpenAPI document, so a new route is covered without edits here.
        JsonObject paths = (await ApiAssert.OkAsync(await server.Anonymous.GetAsync("/openapi/v1.json")))["paths"]!.AsObject();
        string before = await server.SnapshotAsync();
        var failures = new List<string>();
        int checkedRequests = 0;
        foreach ((string template, JsonNode? operations) in paths)
        {
            string[] parameters = Parameter().Matches(template).Select(m => m.Groups[1].Value).ToArray();
            foreach (string method in operations!.AsObject().Select(o => o.Key.ToUpperInvariant()))
            {
                foreach (string parameter in parameters)
                {
                    foreach (string variant in Variants)
                    {
                        string path = Parameter().Replace(template, m => m.Groups[1].Value == parameter ? variant : server.ValueOf(m.Groups[1].Value));
                        HttpResponseMessage response = await SendAsync(new HttpMethod(method), path, body: method is "POST" or "PUT" or "PATCH" ? "{}" : null);
                        checkedRequests++;
                        string? problem = await RefusalProblemAsync(response, parameter);
                        if (problem is not null)
                        {
                            failures.Add($"{method} {path}: {problem}");
                        }
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {checkedRequests} requests were not refused as expected:\n" + string.Join("\n", failures));
        Assert.True(checkedRequests > 300, $"only {checkedRequests} requests were made");
        Assert.Equal(before, await server.SnapshotAsync());
    }

    [Theory]
    [InlineData("/api/v1/kms/%2e%2e/keys")]
    [InlineData("/api/v1/%2E%2E/v1/projects")]
    [InlineData("/api/./status")]
    [InlineData("/api/v1/kms/keys/key-name/..")]
    public async Task DotSegmentWhereNoIdStands_Returns400(string path)
    {
        HttpResponseMessage response = await SendAsync(HttpMethod.Get, path);

        await ApiAssert.ErrorAsync(response, 400, "BadRequest", "The request path must not contain dot segments (. or ..) or encoded slashes (%2F)");
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Theory]
    [InlineData("/api%2Fstatus")]
    [InlineData("/api%2fv1/kms/keys")]
    public async Task EncodedSlashInTheApiPrefix_Returns400WithTheErrorBody(string path)
    {
        // Found by the fuzz test: decoded, this path names the API, so its refusal is the API's error body.
        HttpResponseMessage response = await SendAsync(HttpMethod.Get, path);

        await ApiAssert.ErrorAsync(response, 400, "BadRequest", "The request path must not contain dot segments (. or ..) or encoded slashes (%2F)");
    }

    [Theory]
    [InlineData("%20{0}")]
    [InlineData("{0}%20")]
    [InlineData("%7B{0}%7D")]
    [InlineData("{0:N}")]
    [InlineData("%09{0}")]
    public async Task KeyId_InAnotherTextFormOfTheUuid_Returns422InvalidUuid(string format)
    {
        // Found by the fuzz test: .NET's UUID parser also reads " <id>", "{<id>}" and 32 bare digits, and the
        // key was found by them (404 for a random ID, 200 for the real one). Spec §1.5: 8-4-4-4-12 only.
        string keyId = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, Guid.Parse(server.KeyId));

        HttpResponseMessage response = await SendAsync(HttpMethod.Get, $"/api/v1/kms/keys/{keyId}");

        await AssertInvalidUuidAsync(response, "keyId");
    }

    [Theory]
    [InlineData("%20{0}")]
    [InlineData("%7B{0}%7D")]
    [InlineData("{0:N}")]
    public async Task ProjectId_InAnotherTextFormOfTheUuid_NamesNoProject(string format)
    {
        // projectId is not UUID-validated (spec §4.4): text that is not the project's ID is a project not found.
        string projectId = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, Guid.Parse(server.ProjectId));

        HttpResponseMessage response = await SendAsync(HttpMethod.Get, $"/api/v1/projects/{projectId}");

        await ApiAssert.ErrorAsync(response, 404, "NotFound", $"Project with ID \"{Uri.UnescapeDataString(projectId)}\" not found");
    }

    [Theory]
    [InlineData("/projects/%2e%2e/Account/Login")]
    [InlineData("/Account/../api/status")]
    [InlineData("/_framework/..%2Fblazor.web.js")]
    public async Task PagePathWithDotSegment_Returns400(string path)
    {
        HttpResponseMessage response = await SendAsync(HttpMethod.Get, path);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task DotsInsideASegment_AreNotDotSegments()
    {
        // "a.b", "..." and "%2e%2e%2e" are ordinary values: the route answers for them itself.
        foreach (string value in new[] { "a.b", "...", "%2e%2e%2e", "..x" })
        {
            await AssertInvalidUuidAsync(await SendAsync(HttpMethod.Get, $"/api/v1/kms/keys/{value}"), "keyId");
        }

        Assert.Equal(200, (int)(await SendAsync(HttpMethod.Get, "/app.css")).StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null)
    {
        var request = new HttpRequestMessage(method, server.Raw(path));
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        return await server.Admin.SendAsync(request);
    }

    private static async Task AssertInvalidUuidAsync(HttpResponseMessage response, string parameter)
    {
        JsonObject body = await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", $"{parameter}: Invalid uuid");
        Assert.Equal(parameter, (string?)body["details"]![0]!["field"]);
    }

    /// <summary>Null when the response is the guard's refusal for <paramref name="parameter"/>; else what is wrong.</summary>
    private static async Task<string?> RefusalProblemAsync(HttpResponseMessage response, string parameter)
    {
        string text = await response.Content.ReadAsStringAsync();
        int status = (int)response.StatusCode;
        bool isId = parameter.EndsWith("Id", StringComparison.Ordinal);
        string expected = isId
            ? $$"""{"statusCode":422,"message":"{{parameter}}: Invalid uuid","error":"ValidationFailure","details":[{"field":"{{parameter}}","message":"Invalid uuid"}]}"""
            : """{"statusCode":400,"message":"The request path must not contain dot segments (. or ..) or encoded slashes (%2F)","error":"BadRequest"}""";
        JsonObject? body = JsonNode.Parse(text) as JsonObject;
        body?.Remove("reqId");
        return status == (isId ? 422 : 400) && body?.ToJsonString() == JsonNode.Parse(expected)!.ToJsonString()
            ? null
            : $"{status} {text}";
    }

    [GeneratedRegex(@"\{([A-Za-z]+)\}")]
    private static partial Regex Parameter();

    /// <summary>A project with a key, an identity member with a client secret: something to lose.</summary>
    public sealed class Server : RunningServer
    {
        public string ProjectId { get; private set; } = "";

        public string KeyId { get; private set; } = "";

        public string KeyName { get; } = "routing-key";

        public string IdentityId { get; private set; } = "";

        public string ClientSecretId { get; private set; } = "";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            ProjectId = (string)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync("/api/v1/projects", new { projectName = "Routing" })))["project"]!["id"]!;
            KeyId = (string)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync("/api/v1/kms/keys", new { projectId = ProjectId, name = KeyName })))["key"]!["id"]!;
            IdentityId = (string)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync("/api/v1/identities", new { name = "routing-identity", organizationId = OrganizationId })))["identity"]!["id"]!;
            await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/auth/universal-auth/identities/{IdentityId}", new { }));
            ClientSecretId = (string)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/auth/universal-auth/identities/{IdentityId}/client-secrets", new { })))["clientSecretData"]!["id"]!;
            await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/projects/{ProjectId}/identity-memberships/{IdentityId}", new { role = "member" }));
        }

        public string ValueOf(string parameter) => parameter switch
        {
            "projectId" => ProjectId,
            "keyId" => KeyId,
            "keyName" => KeyName,
            "identityId" => IdentityId,
            "userId" => AdminUserId,
            "clientSecretId" => ClientSecretId,
            _ => throw new InvalidOperationException($"no fixture value for path parameter {parameter}"),
        };
    }
}
