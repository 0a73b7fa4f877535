using System.Net;
using System.Text.Json.Nodes;

namespace InfisicalKms.Tests.Web.Hsm;

/// <summary>
/// <c>GET /readyz</c> of the real server with its root key wrapped in a SoftHSM2 token: ready while the token
/// wraps and unwraps, 503 naming the HSM once the token is removed, while requests still work on the root key
/// already in memory (a restart would not).
/// </summary>
[Trait("Category", "Hsm")]
public sealed class HsmReadinessTests
{
    [Fact]
    public async Task Readyz_TokenRemoved_503NamingTheHsmWhileKeysStillWork()
    {
        using SoftHsmToken token = await SoftHsmToken.CreateAsync();
        using var installation = new KmsInstallation();
        await using KmsServerProcess server = await installation.StartAsync(token.Variables());
        StoredKeys keys = await StoredKeys.CreateAsync(server, withRsa: false);

        JsonObject ready = await ReadyAsync(server, HttpStatusCode.OK);
        Assert.Equal("the HSM token \"kms\" wraps and unwraps", Description(ready, "hsm"));

        await token.DeleteAsync();

        JsonObject unready = await ReadyAsync(server, HttpStatusCode.ServiceUnavailable);
        string reason = Description(unready, "hsm");
        Assert.Equal("unhealthy", (string?)Check(unready, "hsm")["status"]);
        Assert.Contains("HSM", reason);
        Assert.Equal("healthy", (string?)Check(unready, "database")["status"]);
        Assert.DoesNotContain(token.Pin, unready.ToJsonString());

        await keys.AssertUsableAsync(server);   // the root key unwrapped at start-up is still in memory
        ProcessResult result = await server.StopAsync();
        Assert.DoesNotContain(token.Pin, result.Output);
    }

    private static async Task<JsonObject> ReadyAsync(KmsServerProcess server, HttpStatusCode expected)
    {
        HttpResponseMessage response = await server.Client.GetAsync("/readyz");
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static JsonObject Check(JsonObject body, string name) =>
        body["checks"]!.AsArray().Single(c => (string?)c!["name"] == name)!.AsObject();

    private static string Description(JsonObject body, string name) => (string)Check(body, name)["description"]!;
}
