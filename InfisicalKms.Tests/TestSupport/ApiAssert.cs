using System.Net;
using System.Text.Json.Nodes;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>Assertions on the API's wire shapes: 200 with a JSON object, or the spec's error body (§2.1).</summary>
public static class ApiAssert
{
    public static async Task<JsonObject> OkAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Asserts the status, error class and exact message (when given), and the error body's invariants.</summary>
    public static async Task<JsonObject> ErrorAsync(HttpResponseMessage response, int status, string error, string? message = null)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        JsonObject body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(status, (int)body["statusCode"]!);
        Assert.Equal(error, (string?)body["error"]);
        Assert.IsType<string>((string?)body["message"]);
        if (message is not null)
        {
            Assert.Equal(message, (string?)body["message"]);
        }

        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), (string?)body["reqId"]);
        Assert.Equal(status == 422, body.ContainsKey("details"));
        return body;
    }
}
