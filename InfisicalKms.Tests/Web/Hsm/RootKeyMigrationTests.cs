using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace InfisicalKms.Tests.Web.Hsm;

/// <summary>
/// The root-key command on a populated installation (spec §11.7): environment key → HSM → environment key,
/// then a new environment key; every key still works after each step, repeated actions change nothing,
/// failed actions leave the stored wrap in force, and the old environment key no longer starts the server.
/// </summary>
[Trait("Category", "Hsm")]
public sealed class RootKeyMigrationTests
{
    [Fact]
    public async Task RootKeyCommand_SoftwareToHsmToSoftwareThenRotate_EveryKeyKeepsWorking()
    {
        using SoftHsmToken token = await SoftHsmToken.CreateAsync();
        using var installation = new KmsInstallation();
        string oldKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        string newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var software = new Dictionary<string, string?> { ["ROOT_ENCRYPTION_KEY"] = oldKey };
        Dictionary<string, string?> both = new(token.Variables()) { ["ROOT_ENCRYPTION_KEY"] = oldKey };

        // 1. A populated SOFTWARE installation.
        StoredKeys keys;
        await using (KmsServerProcess server = await installation.StartAsync(software))
        {
            keys = await StoredKeys.CreateAsync(server, withRsa: false);
            await server.StopAsync();
        }

        // 2. A failed migration (wrong PIN) changes nothing.
        Dictionary<string, string?> wrongPin = new(both) { ["HSM_PIN"] = "wrong-pin-4242" };
        ProcessResult refused = await installation.RunCommandAsync(wrongPin, "root-key", "migrate", "--to", "hsm");
        AssertFailed(refused, "HSM_PIN was rejected by the token (CKR_PIN_INCORRECT); not retrying.");
        Assert.Contains("Stored root key: SOFTWARE (AES-256-GCM)", (await RunAsync(installation, both, "status")).StandardOutput);

        // 3. To the HSM, twice: the second run is a no-op.
        ProcessResult toHsm = await RunAsync(installation, both, "migrate", "--to", "hsm");
        Assert.Contains("Re-wrapped the root key: SOFTWARE (ROOT_ENCRYPTION_KEY) -> HSM (HSM key \"kms-root\" on token \"kms\", CKM_AES_GCM).", toHsm.StandardOutput);
        Assert.Equal(["migrate --to hsm"], RewrapRecords(installation));   // one organization audit record, not one per run
        Assert.Contains("already wrapped by the HSM key \"kms-root\" on token \"kms\"", (await RunAsync(installation, both, "migrate", "--to", "hsm")).StandardOutput);

        // The environment key is still set: the stored strategy decides, with a warning.
        await using (KmsServerProcess server = await installation.StartAsync(both))
        {
            Assert.Equal("HSM", (string?)(await server.StatusAsync())["rootKey"]!["strategy"]);
            await keys.AssertUsableAsync(server);
            ProcessResult log = await server.StopAsync();
            Assert.Contains("ROOT_ENCRYPTION_KEY is set, but the stored root key is wrapped by the HSM", log.Output);
        }

        // 4. Back to the environment key, twice.
        ProcessResult toSoftware = await RunAsync(installation, both, "migrate", "--to", "software");
        Assert.Contains("Re-wrapped the root key: HSM (HSM key \"kms-root\" on token \"kms\") -> SOFTWARE (ROOT_ENCRYPTION_KEY, AES-256-GCM).", toSoftware.StandardOutput);
        Assert.Contains("already wrapped by ROOT_ENCRYPTION_KEY (SOFTWARE); nothing to do.", (await RunAsync(installation, both, "migrate", "--to", "software")).StandardOutput);

        // 5. Rotate the environment key, twice.
        Dictionary<string, string?> rotation = new(software) { ["NEW_ROOT_ENCRYPTION_KEY"] = newKey };
        ProcessResult rotated = await RunAsync(installation, rotation, "rotate-env-key");
        Assert.Contains("Re-wrapped the root key: SOFTWARE (ROOT_ENCRYPTION_KEY) -> SOFTWARE (NEW_ROOT_ENCRYPTION_KEY, AES-256-GCM).", rotated.StandardOutput);
        Assert.Contains("Start the server with ROOT_ENCRYPTION_KEY set to the value of NEW_ROOT_ENCRYPTION_KEY.", rotated.StandardOutput);
        Assert.Contains("already wrapped by NEW_ROOT_ENCRYPTION_KEY; nothing to do.", (await RunAsync(installation, rotation, "rotate-env-key")).StandardOutput);
        Assert.Equal(["migrate --to hsm", "migrate --to software", "rotate-env-key"], RewrapRecords(installation));

        // 6. The old key no longer opens the instance; the new one does (an HSM configured too: the stored strategy decides).
        ProcessResult old = await installation.StartExpectingRefusalAsync(software);
        AssertFailed(old, "ROOT_ENCRYPTION_KEY cannot decrypt the stored root key. It is not the key this instance was initialised with.");
        Dictionary<string, string?> rotatedWithHsm = new(token.Variables()) { ["ROOT_ENCRYPTION_KEY"] = newKey };
        await using (KmsServerProcess server = await installation.StartAsync(rotatedWithHsm))
        {
            JsonObject status = await server.StatusAsync();
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{ "strategy": "SOFTWARE" }"""), status["rootKey"]), status.ToJsonString());
            await keys.AssertUsableAsync(server);
            ProcessResult log = await server.StopAsync();
            Assert.Contains("An HSM is configured, but the stored root key is wrapped by SOFTWARE", log.Output);
            Assert.DoesNotContain(newKey, log.Output);
            Assert.DoesNotContain(token.Pin, log.Output);
        }
    }

    /// <summary>The <c>action</c> of each <c>root-key-rewrap</c> audit record in the installation's database, oldest first.</summary>
    private static List<string> RewrapRecords(KmsInstallation installation)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={installation.DatabasePath};Pooling=False");
        connection.Open();
        using Microsoft.Data.Sqlite.SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT Metadata FROM AuditEvents WHERE EventType = 'root-key-rewrap' AND Outcome = 'success' ORDER BY Sequence";
        var actions = new List<string>();
        using Microsoft.Data.Sqlite.SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            actions.Add((string)JsonNode.Parse(reader.GetString(0))!["action"]!);
        }

        return actions;
    }

    private static async Task<ProcessResult> RunAsync(KmsInstallation installation, Dictionary<string, string?> variables, params string[] arguments)
    {
        ProcessResult result = await installation.RunCommandAsync(variables, ["root-key", .. arguments]);
        Assert.True(result.ExitCode == 0, $"root-key {string.Join(' ', arguments)}: {result}");
        foreach (string secret in variables.Where(v => v.Key.Contains("KEY", StringComparison.Ordinal) || v.Key == "HSM_PIN").Select(v => v.Value!))
        {
            if (secret.Length >= 16 || secret.StartsWith("pin-", StringComparison.Ordinal))
            {
                Assert.DoesNotContain(secret, result.Output);
            }
        }

        return result;
    }

    private static void AssertFailed(ProcessResult result, string message)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(message, result.StandardError);
    }
}
