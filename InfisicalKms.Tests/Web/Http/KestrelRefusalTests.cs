using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace InfisicalKms.Tests.Web.Http;

/// <summary>
/// Requests that Kestrel refuses itself, before the app runs, still get the JSON error body of spec §2.1
/// (InfisicalKms.Web/Http/KestrelRefusals.cs), and requests the app answers are left as they are. Raw bytes
/// over a socket against the real server binary.
/// </summary>
public sealed partial class KestrelRefusalTests(KestrelRefusalServer server) : IClassFixture<KestrelRefusalServer>
{
    private const string BadRequestMessage = "The request is not valid HTTP: the request line, the path or a header is malformed or missing";
    private const string HeadersMessage = "Request headers exceed the limit of 100 headers or 32768 bytes";

    [Fact]
    public async Task NulByteInPath_Returns400WithErrorBody() =>
        await AssertRefusedAsync(Get("/api/v1/kms/keys/%00"), 400, "BadRequest", BadRequestMessage);

    [Fact]
    public async Task NonUtf8ByteInPath_Returns400WithErrorBody() =>
        await AssertRefusedAsync([.. "GET /api/v1/kms/keys/"u8, 0xFF, .. " HTTP/1.1\r\nHost: localhost\r\n\r\n"u8], 400, "BadRequest", BadRequestMessage);

    [Fact]
    public async Task UrlOver8KB_Returns414WithErrorBody() =>
        await AssertRefusedAsync(Get("/api/v1/kms/keys/" + new string('a', 8200)), 414, "UriTooLong", "Request URL exceeds the limit of 8192 bytes");

    [Fact]
    public async Task TooManyHeaders_Returns431WithErrorBody() =>
        await AssertRefusedAsync(Get("/api/status", string.Concat(Enumerable.Range(0, 101).Select(i => $"X-Test-{i}: {i}\r\n"))),
            431, "RequestHeaderFieldsTooLarge", HeadersMessage);

    [Fact]
    public async Task TooLargeHeaders_Returns431WithErrorBody() =>
        await AssertRefusedAsync(Get("/api/status", $"X-Large: {new string('a', 33_000)}\r\n"), 431, "RequestHeaderFieldsTooLarge", HeadersMessage);

    [Fact]
    public async Task MalformedChunkedBody_OnApiRoute_Returns400WithErrorBody()
    {
        // Kestrel finds the bad chunk size only when the handler reads the body, so the app writes this answer.
        await using RawHttpConnection connection = await server.ConnectAsync();

        await connection.SendAsync(Encoding.ASCII.GetBytes("POST /api/v1/auth/universal-auth/login HTTP/1.1\r\nHost: localhost\r\n" +
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"));
        RawHttpResponse response = await connection.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.Contains("no-store", response.Header("Cache-Control"));
        JsonObject body = JsonNode.Parse(response.Body)!.AsObject();
        Assert.Equal(["reqId", "statusCode", "message", "error"], body.Select(p => p.Key));
        Assert.Equal(response.Header("X-Request-Id"), (string?)body["reqId"]);
        Assert.Equal("BadRequest", (string?)body["error"]);
        Assert.Equal("The request body is not valid HTTP: its chunked encoding or length is malformed", (string?)body["message"]);
        Assert.Empty(await connection.ReadToEndAsync());   // Kestrel closes a connection whose framing is lost
    }

    [Fact]
    public async Task KeepAlive_TwoGoodRequestsThenBadOne_AnswersNormallyThenWithErrorBody()
    {
        await using RawHttpConnection connection = await server.ConnectAsync();
        for (int i = 0; i < 2; i++)
        {
            await connection.SendAsync(Get("/api/status"));
            AssertStatusOk(await connection.ReadResponseAsync());
        }

        await connection.SendAsync(Get("/api/v1/kms/keys/%00"));

        AssertErrorBody(await connection.ReadResponseAsync(), 400, "BadRequest", BadRequestMessage);
        Assert.Empty(await connection.ReadToEndAsync());
    }

    [Fact]
    public async Task ExpectContinue_GoodRequestWithBody_GetsContinueThenItsAnswer()
    {
        // Arrange
        byte[] body = """{"email":"admin@example.com","password":"correct horse battery","organization":"Example Corp"}"""u8.ToArray();
        await using RawHttpConnection connection = await server.ConnectAsync();
        await connection.SendAsync(Encoding.ASCII.GetBytes("POST /api/v1/admin/bootstrap HTTP/1.1\r\nHost: localhost\r\n" +
            $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\nExpect: 100-continue\r\n\r\n"));

        // Act
        RawHttpResponse interim = await connection.ReadResponseAsync();
        await connection.SendAsync(body);
        RawHttpResponse answer = await connection.ReadResponseAsync();

        // Assert
        Assert.Equal("HTTP/1.1 100 Continue", interim.StatusLine);
        Assert.Equal(200, answer.Status);
        Assert.Equal("Successfully bootstrapped instance", (string?)JsonNode.Parse(answer.Body)!["message"]);
        await connection.SendAsync(Get("/api/status"));
        AssertStatusOk(await connection.ReadResponseAsync());
    }

    [Fact]
    public async Task PipelinedGoodRequests_InOneWrite_BothGetNormalAnswers()
    {
        await using RawHttpConnection connection = await server.ConnectAsync();

        await connection.SendAsync([.. Get("/api/status"), .. Get("/api/status")]);

        RawHttpResponse first = await connection.ReadResponseAsync();
        RawHttpResponse second = await connection.ReadResponseAsync();
        AssertStatusOk(first);
        AssertStatusOk(second);
        Assert.NotEqual(first.Header("X-Request-Id"), second.Header("X-Request-Id"));
    }

    [Fact]
    public async Task ApiNotFound_KeepsItsOwnErrorBody()
    {
        await using RawHttpConnection connection = await server.ConnectAsync();

        await connection.SendAsync(Get("/api/v1/no-such-route"));
        RawHttpResponse notFound = await connection.ReadResponseAsync();

        Assert.Equal(404, notFound.Status);
        Assert.Equal("chunked", notFound.Header("Transfer-Encoding"));   // as the app wrote it
        Assert.Null(notFound.Header("Connection"));
        JsonObject error = JsonNode.Parse(notFound.Body)!.AsObject();
        Assert.Equal("Route GET:/api/v1/no-such-route not found", (string?)error["message"]);
        Assert.Equal(notFound.Header("X-Request-Id"), (string?)error["reqId"]);
        await connection.SendAsync(Get("/api/status"));   // the connection stays open
        AssertStatusOk(await connection.ReadResponseAsync());
    }

    [Fact]
    public async Task AppEmptyBodiedError_WhileInsideTheApp_IsLeftUntouched()
    {
        // The antiforgery check answers a form post without a token with an empty 400 and, as the client asked,
        // Connection: close: the shape of a Kestrel refusal, but written by the app, so it must pass unchanged.
        byte[] form = "Input.Email=a%40example.com&Input.Password=x"u8.ToArray();
        await using RawHttpConnection connection = await server.ConnectAsync();

        await connection.SendAsync([.. Encoding.ASCII.GetBytes("POST /Account/Login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
            $"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {form.Length}\r\n\r\n"), .. form]);
        RawHttpResponse response = await connection.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.Equal("0", response.Header("Content-Length"));
        Assert.Equal("text/html; charset=utf-8", response.Header("Content-Type"));
        Assert.Null(response.Header("Cache-Control"));
        Assert.Empty(response.Body);
        Assert.Empty(await connection.ReadToEndAsync());
    }

    private static byte[] Get(string path, string headers = "") =>
        Encoding.Latin1.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n");

    private async Task AssertRefusedAsync(byte[] request, int status, string error, string message)
    {
        await using (RawHttpConnection connection = await server.ConnectAsync())
        {
            await connection.SendAsync(request);
            AssertErrorBody(await connection.ReadResponseAsync(), status, error, message);
            Assert.Empty(await connection.ReadToEndAsync());   // Connection: close, and nothing after the body
        }

        await using RawHttpConnection next = await server.ConnectAsync();
        await next.SendAsync(Get("/api/status"));
        AssertStatusOk(await next.ReadResponseAsync());
    }

    private static void AssertErrorBody(RawHttpResponse response, int status, string error, string message)
    {
        Assert.Equal(status, response.Status);
        Assert.Equal("application/json; charset=utf-8", response.Header("Content-Type"));
        Assert.Equal(response.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
        Assert.Equal("no-store", response.Header("Cache-Control"));
        Assert.Equal("close", response.Header("Connection"));
        Assert.Equal(1, response.Count("X-Request-Id"));
        JsonObject body = JsonNode.Parse(response.Body)!.AsObject();
        Assert.Equal(["reqId", "statusCode", "message", "error"], body.Select(p => p.Key));
        Assert.Matches(RequestId(), (string?)body["reqId"]);
        Assert.Equal(response.Header("X-Request-Id"), (string?)body["reqId"]);
        Assert.Equal(status, (int)body["statusCode"]!);
        Assert.Equal(error, (string?)body["error"]);
        Assert.Equal(message, (string?)body["message"]);
    }

    private static void AssertStatusOk(RawHttpResponse response)
    {
        Assert.True(response.Status == 200, $"{response.StatusLine}\n{response.BodyText}");
        Assert.Equal("ok", (string?)JsonNode.Parse(response.Body)!["status"]);
    }

    [GeneratedRegex("^req-[A-Za-z0-9]{12}$")]
    private static partial Regex RequestId();
}
