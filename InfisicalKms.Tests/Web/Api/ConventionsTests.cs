using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.AuthTestHelpers;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>Request and response conventions (spec §1.2, §1.3), body limits (§1.9) and unknown routes (§2.2).</summary>
[Collection(SharedServerCollection.Name)]
public sealed class ConventionsTests(PeerAddressKmsFactory factory)
{
    private const int DefaultLimit = 1_048_576;
    private const int CryptoLimit = 2_097_152;

    [Fact]
    public async Task Post_TextPlainBodyOnProtectedRoute_Returns415()
    {
        AdminContext admin = await factory.AdminAsync();
        var content = new StringContent("{\"projectName\":\"Plain\"}", Encoding.UTF8, "text/plain");

        HttpResponseMessage response = await admin.Client.PostAsync("/api/v1/projects", content);

        await ApiAssert.ErrorAsync(response, 415, "UnsupportedMediaType", "Content-Type must be application/json");
    }

    [Fact]
    public async Task Post_FormBodyOnPublicRoute_Returns415()
    {
        var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["clientId"] = "a", ["clientSecret"] = "b" });

        HttpResponseMessage response = await factory.CreateClient().PostAsync("/api/v1/auth/universal-auth/login", content);

        await ApiAssert.ErrorAsync(response, 415, "UnsupportedMediaType", "Content-Type must be application/json");
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json;charset=UTF-8")]
    public async Task Post_JsonContentTypeWithOrWithoutParameters_IsAccepted(string contentType)
    {
        AdminContext admin = await factory.AdminAsync();
        var content = new ByteArrayContent("{\"projectName\":\"Media Type\"}"u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.PostAsync("/api/v1/projects", content));

        Assert.Equal("Media Type", (string?)body["project"]!["name"]);
    }

    [Fact]
    public async Task Post_InvalidJson_Returns400()
    {
        AdminContext admin = await factory.AdminAsync();

        HttpResponseMessage response = await admin.Client.PostAsync("/api/v1/projects", Json("{\"projectName\":"));

        await ApiAssert.ErrorAsync(response, 400, "BadRequest", "Request body is not valid JSON");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[{\"projectName\":\"x\"}]")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    [InlineData("true")]
    [InlineData("null")]
    public async Task Post_JsonThatIsNotAnObject_Returns400(string json)
    {
        AdminContext admin = await factory.AdminAsync();

        HttpResponseMessage response = await admin.Client.PostAsync("/api/v1/projects", Json(json));

        await ApiAssert.ErrorAsync(response, 400, "BadRequest", "Request body must be a JSON object");
    }

    [Fact]
    public async Task Post_AbsentOrEmptyBody_IsValidatedAsEmptyObject()
    {
        AdminContext admin = await factory.AdminAsync();

        HttpResponseMessage absent = await admin.Client.PostAsync("/api/v1/projects", null);
        HttpResponseMessage empty = await admin.Client.PostAsync("/api/v1/projects", Json(""));
        HttpResponseMessage login = await factory.CreateClient().PostAsync("/api/v1/auth/universal-auth/login", null);

        await ApiAssert.ErrorAsync(absent, 422, "ValidationFailure", "projectName: Required");
        await ApiAssert.ErrorAsync(empty, 422, "ValidationFailure", "projectName: Required");
        await ApiAssert.ErrorAsync(login, 422, "ValidationFailure", "clientId: Required; clientSecret: Required");
    }

    [Fact]
    public async Task Post_EmptyBodyOnRouteWithoutRequiredFields_Succeeds()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "empty-body");
        await AttachUniversalAuthAsync(admin.Client, identityId);
        string secretId = (string)(await CreateClientSecretAsync(admin.Client, identityId))["clientSecretData"]!["id"]!;

        HttpResponseMessage response = await admin.Client.PostAsync(
            $"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets/{secretId}/revoke", null);

        JsonObject body = await ApiAssert.OkAsync(response);
        Assert.True((bool)body["clientSecretData"]!["isClientSecretRevoked"]!);
    }

    [Fact]
    public async Task Post_UnknownAndDifferentlyCasedFields_AreIgnored()
    {
        AdminContext admin = await factory.AdminAsync();
        string json = """
            { "projectName": "Unknown Fields", "ProjectName": "Other", "slugX": 5, "keyId": "abc",
              "extra": { "nested": [1, 2, null] } }
            """;

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.PostAsync("/api/v1/projects?unknown=1&type=x", Json(json)));

        Assert.Equal("Unknown Fields", (string?)body["project"]!["name"]);
    }

    [Fact]
    public async Task Get_UnknownQueryParameter_IsIgnored()
    {
        AdminContext admin = await factory.AdminAsync();

        await ApiAssert.OkAsync(await admin.Client.GetAsync("/api/v1/projects?foo=bar&limit=abc"));
    }

    [Fact]
    public async Task PublicRoutes_AnyAuthorizationHeader_IsIgnored()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller caller = await CreateCallerAsync(factory, admin, "public-routes");
        HttpClient revoked = factory.CreateClient();
        string revokedToken = (string)(await ApiAssert.OkAsync(await LoginAsync(revoked, caller.ClientId, caller.ClientSecret)))["accessToken"]!;
        await ApiAssert.OkAsync(await revoked.PostAsJsonAsync("/api/v1/auth/token/revoke", new { accessToken = revokedToken }));

        foreach (string header in new[] { "Bearer not*a*valid*token", "Basic dXNlcjpwYXNz", "Bearer " + revokedToken, "garbage" })
        {
            HttpClient client = factory.CreateClient();
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);

            await ApiAssert.OkAsync(await client.GetAsync("/api/status"));
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/openapi/v1.json")).StatusCode);
            JsonObject login = await ApiAssert.OkAsync(await LoginAsync(client, caller.ClientId, caller.ClientSecret));
            string token = (string)login["accessToken"]!;
            await ApiAssert.OkAsync(await client.PostAsJsonAsync("/api/v1/auth/token/renew", new { accessToken = token }));
            await ApiAssert.OkAsync(await client.PostAsJsonAsync("/api/v1/auth/token/revoke", new { accessToken = token }));
            await ApiAssert.ErrorAsync(await client.PostAsJsonAsync("/api/v1/admin/bootstrap",
                new { email = "second@example.com", password = Password, organization = "Second" }), 400, "BadRequest", "Instance has already been set up");
        }
    }

    [Fact]
    public async Task Success_Response_HasRequestIdNoStoreAndJsonUtf8()
    {
        AdminContext admin = await factory.AdminAsync();

        HttpResponseMessage response = await admin.Client.GetAsync("/api/v1/projects");

        await ApiAssert.OkAsync(response);
        AssertApiHeaders(response);
    }

    [Fact]
    public async Task ErrorResponses_OfEveryKind_HaveRequestIdNoStoreAndJsonUtf8()
    {
        AdminContext admin = await factory.AdminAsync();
        HttpClient anonymous = factory.CreateClient();
        var responses = new List<(HttpResponseMessage Response, int Status)>
        {
            (await anonymous.GetAsync("/api/v1/projects"), 401),
            (await anonymous.PutAsync("/api/v1/kms/keys", null), 404),
            (await admin.Client.GetAsync($"/api/v1/projects/{Guid.NewGuid()}"), 404),
            (await admin.Client.PostAsync("/api/v1/projects", Json("{")), 400),
            (await admin.Client.PostAsync("/api/v1/projects", Json("{}")), 422),
            (await admin.Client.PostAsync("/api/v1/projects", PaddedBody(DefaultLimit + 1)), 413),
            (await admin.Client.PostAsync("/api/v1/projects", new StringContent("x")), 415),
        };

        foreach ((HttpResponseMessage response, int status) in responses)
        {
            Assert.Equal(status, (int)response.StatusCode);
            AssertApiHeaders(response);
            JsonObject body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), (string?)body["reqId"]);
        }
    }

    [Fact]
    public async Task RequestIds_OfTwoRequests_Differ()
    {
        HttpClient client = factory.CreateClient();

        HttpResponseMessage first = await client.GetAsync("/api/status");
        HttpResponseMessage second = await client.GetAsync("/api/status");

        Assert.NotEqual(first.Headers.GetValues("X-Request-Id").Single(), second.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task OpenApiDocument_Response_HasRequestId()
    {
        HttpResponseMessage response = await factory.CreateClient().GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("X-Request-Id").Single()));
    }

    [Fact]
    public async Task CreateProject_BodyOfExactlyOneMebibyte_IsAccepted()
    {
        AdminContext admin = await factory.AdminAsync();

        await ApiAssert.OkAsync(await admin.Client.PostAsync("/api/v1/projects", PaddedBody(DefaultLimit)));
    }

    [Fact]
    public async Task CreateProject_BodyOverOneMebibyte_Returns413()
    {
        AdminContext admin = await factory.AdminAsync();

        HttpResponseMessage response = await admin.Client.PostAsync("/api/v1/projects", PaddedBody(DefaultLimit + 1));

        await ApiAssert.ErrorAsync(response, 413, "PayloadTooLarge", "Request body exceeds the limit of 1048576 bytes");
    }

    [Fact]
    public async Task CreateProject_BodyOverLimitWithoutContentLength_Returns413()
    {
        AdminContext admin = await factory.AdminAsync();

        HttpResponseMessage response = await admin.Client.PostAsync("/api/v1/projects", new UnknownLengthContent(PaddedBytes(DefaultLimit + 1)));

        await ApiAssert.ErrorAsync(response, 413, "PayloadTooLarge", "Request body exceeds the limit of 1048576 bytes");
    }

    [Fact]
    public async Task Encrypt_BodyOfExactlyTwoMebibytes_IsAccepted()
    {
        AdminContext admin = await factory.AdminAsync();
        string keyId = await CreateAesKeyAsync(admin.Client, await CreateProjectIdAsync(admin.Client, "Crypto Limit"), "limit-key");

        HttpResponseMessage response = await admin.Client.PostAsync($"/api/v1/kms/keys/{keyId}/encrypt", PaddedBody(CryptoLimit, "plaintext", "aGVsbG8="));

        Assert.False(string.IsNullOrEmpty((string?)(await ApiAssert.OkAsync(response))["ciphertext"]));
    }

    [Fact]
    public async Task Encrypt_BodyOverTwoMebibytes_Returns413()
    {
        AdminContext admin = await factory.AdminAsync();
        string keyId = await CreateAesKeyAsync(admin.Client, await CreateProjectIdAsync(admin.Client, "Crypto Over"), "over-key");

        HttpResponseMessage response = await admin.Client.PostAsync($"/api/v1/kms/keys/{keyId}/encrypt", PaddedBody(CryptoLimit + 1, "plaintext", "aGVsbG8="));

        await ApiAssert.ErrorAsync(response, 413, "PayloadTooLarge", "Request body exceeds the limit of 2097152 bytes");
    }

    [Fact]
    public async Task Decrypt_BodyOverLimitWithoutContentLength_Returns413BeforeKeyResolution()
    {
        AdminContext admin = await factory.AdminAsync();
        var content = new UnknownLengthContent(PaddedBytes(CryptoLimit + 1, "plaintext", "aGVsbG8="));

        HttpResponseMessage response = await admin.Client.PostAsync($"/api/v1/kms/keys/{Guid.NewGuid()}/decrypt", content);

        await ApiAssert.ErrorAsync(response, 413, "PayloadTooLarge", "Request body exceeds the limit of 2097152 bytes");
    }

    [Theory]
    [InlineData("PUT", "/api/v1/kms/keys")]
    [InlineData("DELETE", "/api/v1/projects")]
    [InlineData("PATCH", "/api/status")]
    [InlineData("GET", "/api/v1/auth/universal-auth/login")]
    [InlineData("PUT", "/api/v1/identities/00000000-0000-0000-0000-000000000001")]
    [InlineData("GET", "/api/v1/no-such-route")]
    [InlineData("POST", "/api/v1/kms/keys/00000000-0000-0000-0000-000000000001/no-such-action")]
    [InlineData("GET", "/api/nothing")]
    public async Task UnknownRouteOrMethod_WithoutToken_Returns404RouteNotFound(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        HttpResponseMessage response = await factory.CreateClient().SendAsync(request);

        await ApiAssert.ErrorAsync(response, 404, "NotFound", $"Route {method}:{path} not found");
    }

    private static void AssertApiHeaders(HttpResponseMessage response)
    {
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("X-Request-Id").Single()));
        Assert.True(response.Headers.CacheControl?.NoStore, $"Cache-Control: {response.Headers.CacheControl}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet, ignoreCase: true);
    }

    /// <summary>A JSON object of exactly <paramref name="size"/> bytes: the field, then an ignored padding member.</summary>
    private static byte[] PaddedBytes(int size, string field = "projectName", string value = "Padded")
    {
        string prefix = $"{{\"{field}\":\"{value}\",\"pad\":\"";
        return Encoding.UTF8.GetBytes(prefix + new string('a', size - prefix.Length - 2) + "\"}");
    }

    private static ByteArrayContent PaddedBody(int size, string field = "projectName", string value = "Padded")
    {
        var content = new ByteArrayContent(PaddedBytes(size, field, value));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        Assert.Equal(size, content.Headers.ContentLength);
        return content;
    }

    /// <summary>A JSON body sent without Content-Length (chunked).</summary>
    private sealed class UnknownLengthContent : HttpContent
    {
        private readonly byte[] _bytes;

        public UnknownLengthContent(byte[] bytes)
        {
            _bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
