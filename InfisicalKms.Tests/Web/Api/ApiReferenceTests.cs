using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>
/// The interactive API reference at <c>/api/docs/</c>: an HTML page, without sign-in, that loads Scalar's script
/// from this server (never a CDN) and reads the served OpenAPI document, whose bearer scheme "try it" uses.
/// </summary>
[Collection(ApiDescriptionCollection.Name)]
public sealed partial class ApiReferenceTests(KmsWebApplicationFactory factory)
{
    [Fact]
    public async Task Docs_Get_IsHtmlLoadingTheLocalScriptAndTheOpenApiDocument()
    {
        HttpResponseMessage response = await factory.CreateClient().GetAsync("/api/docs");   // redirected to /api/docs/

        string html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {html}");
        Assert.Equal("/api/docs/", response.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("src=\"scalar.js\"", html, StringComparison.Ordinal);
        Assert.Contains("\"url\":\"openapi/v1.json\"", html, StringComparison.Ordinal);   // resolved against the site's root by the page
        Assert.Contains("\"preferredSecurityScheme\":[\"Bearer\"]", html, StringComparison.Ordinal);
        Assert.Contains("\"proxyUrl\":\"\"", html, StringComparison.Ordinal);   // "try it" goes straight to this server
        Assert.DoesNotMatch(ExternalAddress(), html);
    }

    [Fact]
    public async Task Docs_Get_HasItsOwnContentSecurityPolicyWhoseNonceTheInlineScriptCarries()
    {
        HttpResponseMessage response = await factory.CreateClient().GetAsync("/api/docs/");
        string html = await response.Content.ReadAsStringAsync();

        string policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Match nonce = Regex.Match(policy, "'nonce-([^']+)'");
        Assert.True(nonce.Success, policy);
        Assert.Contains("script-src 'self' 'nonce-", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains($"nonce=\"{nonce.Groups[1].Value}\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/docs/scalar.js")]
    [InlineData("/api/docs/scalar.aspnetcore.js")]
    public async Task Docs_Script_IsServedFromThisServer(string path)
    {
        HttpResponseMessage response = await factory.CreateClient().GetAsync(path);

        byte[] script = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.True(script.Length > 100, $"{path} is {script.Length} bytes");
    }

    [Fact]
    public async Task Docs_ScalarScript_IsTheWholeBundle()
    {
        string script = await factory.CreateClient().GetStringAsync("/api/docs/scalar.js");

        Assert.True(script.Length > 500_000, $"scalar.js is only {script.Length} characters");
    }

    [Fact]
    public async Task OpenApi_Document_DeclaresBearerAuthUsedByProtectedOperations()
    {
        JsonObject document = await ApiAssert.OkAsync(await factory.CreateClient().GetAsync("/openapi/v1.json"));

        JsonNode bearer = document["components"]!["securitySchemes"]!["Bearer"]!;
        Assert.Equal("http", (string?)bearer["type"]);
        Assert.Equal("bearer", (string?)bearer["scheme"]);
        JsonNode encrypt = document["paths"]!["/api/v1/kms/keys/{keyId}/encrypt"]!["post"]!;
        Assert.Contains(encrypt["security"]!.AsArray(), requirement => requirement!.AsObject().ContainsKey("Bearer"));
    }

    /// <summary>An absolute http(s) address: the page may load nothing from another host.</summary>
    [GeneratedRegex(@"(src|href)=""(https?:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalAddress();
}
