using System.Text.Json.Nodes;

namespace InfisicalKms.Tests.Web.Hsm;

/// <summary>
/// The real server binary with its root key in a throw-away SoftHSM2 token: keys of every kind created,
/// used, and used again after a restart (spec §11.4, §10.8).
/// </summary>
[Trait("Category", "Hsm")]
public sealed class HsmServerTests
{
    [Fact]
    public async Task Server_WithSoftHsm_KeysOfEveryKindWorkAcrossRestart()
    {
        using SoftHsmToken token = await SoftHsmToken.CreateAsync();
        using var installation = new KmsInstallation();
        Dictionary<string, string?> hsm = token.Variables();

        StoredKeys keys;
        await using (KmsServerProcess server = await installation.StartAsync(hsm))
        {
            await AssertHsmStatusAsync(server, token);
            keys = await StoredKeys.CreateAsync(server, withRsa: true);
            await keys.AssertUsableAsync(server);
            ProcessResult first = await server.StopAsync();
            Assert.Contains("Generated the HSM key labelled kms-root (CKK_AES", first.Output);
            Assert.Contains("(CKM_AES_GCM)", first.Output);
            Assert.DoesNotContain(token.Pin, first.Output);
        }

        await using (KmsServerProcess server = await installation.StartAsync(hsm))
        {
            await AssertHsmStatusAsync(server, token);
            await keys.AssertUsableAsync(server);
            ProcessResult second = await server.StopAsync();
            Assert.DoesNotContain("Generated", second.Output);   // the key was found on the token, not replaced
            Assert.DoesNotContain(token.Pin, second.Output);
        }
    }

    [Fact]
    public async Task Server_CbcPadWithHmacBySlotIndex_KeepsRecordedMechanismAcrossRestart()
    {
        using SoftHsmToken token = await SoftHsmToken.CreateAsync();
        using var installation = new KmsInstallation();
        Dictionary<string, string?> hsm = token.Variables();
        hsm["HSM_TOKEN_LABEL"] = null;
        hsm["HSM_SLOT"] = "0";   // initialised tokens come before SoftHSM's free slot
        Dictionary<string, string?> forced = new(hsm) { ["Kms__Hsm__Mechanism"] = "CKM_AES_CBC_PAD" };

        StoredKeys keys;
        await using (KmsServerProcess server = await installation.StartAsync(forced))
        {
            await AssertHsmStatusAsync(server, token);
            keys = await StoredKeys.CreateAsync(server, withRsa: false);
            ProcessResult first = await server.StopAsync();
            Assert.Contains("Generated the HSM key labelled kms-root_HMAC (CKK_GENERIC_SECRET", first.Output);
            Assert.Contains("(CKM_AES_CBC_PAD+CKM_SHA256_HMAC)", first.Output);
        }

        // Without the setting, the recorded mechanism still decides.
        await using (KmsServerProcess server = await installation.StartAsync(hsm))
        {
            await keys.AssertUsableAsync(server);
            ProcessResult second = await server.StopAsync();
            Assert.Contains("Unwrapped the instance root key with HSM key \"kms-root\" on token \"kms\" (CKM_AES_CBC_PAD+CKM_SHA256_HMAC).", second.Output);
            Assert.DoesNotContain(token.Pin, second.Output);
        }
    }

    private static async Task AssertHsmStatusAsync(KmsServerProcess server, SoftHsmToken token)
    {
        JsonObject status = await server.StatusAsync();
        JsonNode expected = JsonNode.Parse($$"""
            { "strategy": "HSM", "tokenLabel": "{{token.Label}}", "manufacturer": "SoftHSM project", "model": "SoftHSM v2" }
            """)!;
        Assert.True(JsonNode.DeepEquals(expected, status["rootKey"]), status.ToJsonString());
        Assert.DoesNotContain(token.Pin, status.ToJsonString());
    }
}
