using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using static InfisicalKms.Tests.Web.Api.Lifecycle.LifecycleApi;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>
/// Issue #12's probe: an unpaired surrogate escape or bytes that are not UTF-8 in a JSON body gave a 500 with a
/// stack trace, on 25 routes, login, bootstrap, token renew and revoke among them; in a batch one such item
/// failed the whole batch. Now the body is not valid JSON (400), and a batch item fails alone (422).
/// </summary>
public sealed class UnicodeBodyTests(LifecycleServerFixture server) : IClassFixture<LifecycleServerFixture>
{
    private const string NotJson = "Request body is not valid JSON";

    public static TheoryData<string, string> PublicRoutesWithLoneSurrogates => new()
    {
        { "/api/v1/auth/universal-auth/login", """{"clientId":"\ud800","clientSecret":"secret"}""" },
        { "/api/v1/auth/universal-auth/login", """{"clientId":"5e7c1d2a-9b3f-4a6e-8d0c-7f1e2a3b4c5d","clientSecret":"\udc00x"}""" },
        { "/api/v1/admin/bootstrap", """{"email":"a@example.com","password":"\ud800 long enough pw","organization":"Org"}""" },
        { "/api/v1/auth/token/renew", """{"accessToken":"\ud800"}""" },
        { "/api/v1/auth/token/revoke", """{"accessToken":"\udc00x"}""" },
        { "/api/v1/auth/token/revoke", """{"accessToken":"abc\ud800\u0041"}""" },
    };

    [Theory]
    [MemberData(nameof(PublicRoutesWithLoneSurrogates))]
    public async Task PublicRoute_LoneSurrogateEscape_Returns400(string route, string json)
    {
        HttpResponseMessage response = await server.Factory.CreateClient().PostRawAsync(route, json);

        await ApiAssert.ErrorAsync(response, 400, "BadRequest", NotJson);
    }

    [Theory]
    [InlineData("""{"projectName":"\ud800"}""")]                       // a known field
    [InlineData("""{"projectName":"Fine","note":"\udc00"}""")]          // a field the route ignores
    [InlineData("""{"projectName":"Fine","\ud800":1}""")]               // a member name
    [InlineData("""{"projectName":"Fine","deep":{"list":["ok","\udbff"]}}""")]
    public async Task CreateProject_LoneSurrogateAnywhere_Returns400AndCreatesNothing(string json)
    {
        int before = await ProjectCountAsync();

        await ApiAssert.ErrorAsync(await server.Admin.PostRawAsync("/api/v1/projects", json), 400, "BadRequest", NotJson);

        Assert.Equal(before, await ProjectCountAsync());
    }

    [Theory]
    [InlineData("{\"projectName\":\"caf\xff\"}")]                 // a byte that is never UTF-8
    [InlineData("{\"projectName\":\"\xc0\xaf\"}")]                // overlong encoding of '/'
    [InlineData("{\"projectName\":\"\xed\xa0\x80\"}")]            // a surrogate encoded as UTF-8 (CESU-8)
    [InlineData("{\"projectName\":\"\xe2\x82\"}")]                // truncated sequence
    [InlineData("{\"projectName\":\"Fine\",\"zz\":\"\xc0\xaf\"}")] // issue #12: bad bytes in an unknown field were accepted
    public async Task CreateProject_BytesThatAreNotUtf8_Returns400(string latin1)
    {
        var content = new ByteArrayContent(Encoding.Latin1.GetBytes(latin1));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        int before = await ProjectCountAsync();

        await ApiAssert.ErrorAsync(await server.Admin.PostAsync("/api/v1/projects", content), 400, "BadRequest", NotJson);

        Assert.Equal(before, await ProjectCountAsync());
    }

    [Fact]
    public async Task CreateProject_SurrogatePairAndEscapes_AreValid()
    {
        JsonObject body = await ApiAssert.OkAsync(await server.Admin.PostRawAsync("/api/v1/projects",
            """{"projectName":"Keys \ud83d\udd11 \"quoted\" \\ \u00e9","note":"\ud83d\ude00"}"""));

        Assert.Equal("Keys 🔑 \"quoted\" \\ é", (string?)body["project"]!["name"]);
    }

    [Fact]
    public async Task EncryptBatch_ItemsWithLoneSurrogates_FailOnlyThemselves()
    {
        // Issue #12: one such item in a batch failed the whole batch with 500.
        string keyId = (string)(await CreateKeyAsync(server.Admin, server.ProjectId, Name("unicode-batch")))["id"]!;
        string ok = Base64("fine");
        string json = $$"""
            { "items": [
                { "plaintext": "{{ok}}" },
                { "plaintext": "\ud800" },
                { "plaintext": "{{ok}}", "note": "\udc00x" },
                { "plaintext": "{{ok}}", "\ud800": true },
                { "plaintext": "{{ok}}", "nested": { "list": [1, "\udbff"] } },
                { "plaintext": "{{ok}}", "note": "\ud83d\ude00" }
            ] }
            """;

        JsonArray items = await ItemsAsync(await PostJsonAsync(server.Admin, $"/api/v1/kms/keys/{keyId}/encrypt/batch", json), 6);

        Assert.NotNull((string?)items[0]!["ciphertext"]);
        AssertItemError(items[1], 422, "plaintext: String contains an unpaired UTF-16 surrogate");
        AssertItemError(items[2], 422, "note: String contains an unpaired UTF-16 surrogate");
        AssertItemError(items[3], 422, "item: String contains an unpaired UTF-16 surrogate");
        AssertItemError(items[4], 422, "nested.list[1]: String contains an unpaired UTF-16 surrogate");
        Assert.NotNull((string?)items[5]!["ciphertext"]);
    }

    [Fact]
    public async Task EncryptBatch_LoneSurrogateOutsideItems_Returns400()
    {
        string keyId = (string)(await CreateKeyAsync(server.Admin, server.ProjectId, Name("unicode-batch-top")))["id"]!;
        string json = $$"""{ "items": [ { "plaintext": "{{Base64("fine")}}" } ], "note": "\ud800" }""";

        await ApiAssert.ErrorAsync(await server.Admin.PostRawAsync($"/api/v1/kms/keys/{keyId}/encrypt/batch", json), 400, "BadRequest", NotJson);
    }

    private async Task<int> ProjectCountAsync() =>
        (await ApiAssert.OkAsync(await server.Admin.GetAsync("/api/v1/projects")))["projects"]!.AsArray().Count;
}
