using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Startup;
using Microsoft.Data.Sqlite;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>
/// Issue #6: the real server binary, logging at Debug, runs a full workload with distinctive secrets — the bootstrap
/// password and token, client secrets, access tokens, plaintexts, associated data, data to sign, digests,
/// signatures, MACs, ciphertexts, data keys, exported and imported key material, and a request refused because
/// the audit log was down. Afterwards no audit record (every column of every row), no line of the server's
/// output and no byte of the database files holds any of them in any encoding (spec §10.7: "Audit events never
/// contain …"). Control values sent in the User-Agent and a query string prove the searches find what is there.
/// </summary>
public sealed class AuditSecretLeakTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-leak-" + Guid.NewGuid().ToString("N"));

    /// <summary>Must appear nowhere: not in a record, the log or the database files.</summary>
    private readonly SecretSearch _never = new();

    /// <summary>Public keys: stored with their key and harmless in a log, but never part of a record.</summary>
    private readonly SecretSearch _notInRecords = new();

    public AuditSecretLeakTests() => Directory.CreateDirectory(_directory);

    private string DatabasePath => Path.Combine(_directory, "kms.db");

    [Fact]
    public async Task FullRun_AuditRecordsServerLogAndDatabase_HoldNoSecret()
    {
        // Arrange: the server in Production with a root key of its own and everything logged down to Debug.
        string rootKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        _never.Text("root encryption key", rootKey).Base64("root encryption key", rootKey);
        await using ServerProcess server = ServerProcess.Start("Production", DatabasePath, new Dictionary<string, string>
        {
            ["ROOT_ENCRYPTION_KEY"] = rootKey,
            ["Logging__LogLevel__Default"] = "Debug",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Debug",
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Debug",
        });
        Uri address = await server.WaitUntilListeningAsync(Timeout);

        string uaText = "ua-control-" + Guid.NewGuid().ToString("N");
        byte[] uaBase64 = UrlSafeBase64Bytes();
        byte[] uaHex = RandomNumberGenerator.GetBytes(20);
        string agent = $"leak-audit/1.0 ({uaText}) {Convert.ToBase64String(uaBase64)} {Convert.ToHexStringLower(uaHex)}";
        var workload = new Workload(address, agent, _never, _notInRecords, DatabasePath);

        // Act
        (string keyName, string keyId) = await workload.RunAsync();
        string logText = "log-control-" + Guid.NewGuid().ToString("N");
        byte[] logBase64 = UrlSafeBase64Bytes();
        byte[] logHex = RandomNumberGenerator.GetBytes(20);
        using (HttpClient anonymous = workload.Client(null))
        {
            string query = $"?c={logText}&b={Convert.ToBase64String(logBase64)}&h={Convert.ToHexStringLower(logHex)}";
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri("/api/status" + query, UriKind.Relative))).StatusCode);
        }

        await WaitForLogAsync(server, logText);   // the console logger writes in order: everything before it is out too
        await server.StopAsync();
        string log = server.StandardOutput + server.StandardError;
        (string records, List<string> eventTypes) = await ReadAuditTablesAsync();
        string files = ReadDatabaseFiles();

        // Assert: the searches find values that are there (each encoding), and the workload reached the audit log.
        Assert.Superset(new HashSet<string> { "ua (text)", "ua (base64)", "ua (hex)", "key name" }, new SecretSearch()
            .Text("ua (text)", uaText).Bytes("ua", uaBase64).Bytes("ua", uaHex).Text("key name", keyName).LabelsIn(records));
        Assert.Superset(new HashSet<string> { "log (text)", "log (base64)", "log (hex)", "key id" }, new SecretSearch()
            .Text("log (text)", logText).Bytes("log", logBase64).Bytes("log", logHex).Text("key id", keyId).LabelsIn(log));
        Assert.Contains("audit down", log, StringComparison.Ordinal);
        Assert.Contains("key name", new SecretSearch().Text("key name", keyName).LabelsIn(files));   // the refused request's error was logged, with its cause
        Assert.Superset(
            new HashSet<string>
            {
                "bootstrap-instance", "login-identity-universal-auth", "renew-access-token", "revoke-access-token", "create-cmek", "cmek-encrypt",
                "cmek-decrypt", "cmek-sign", "cmek-verify", "cmek-generate-mac", "cmek-verify-mac", "cmek-generate-data-key", "cmek-rewrap",
                "cmek-get-private-key", "cmek-get-public-key", "cmek-import", "create-identity-universal-auth-client-secret",
            },
            eventTypes.ToHashSet());

        // Assert: no secret anywhere.
        AssertNone(_never.FindIn(records), "audit records");
        AssertNone(_notInRecords.FindIn(records), "audit records");
        AssertNone(_never.FindIn(log), "server output");
        AssertNone(_never.FindIn(files), "database files");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open goes with the temp folder later; never fail a run on it.
        }
    }

    private static void AssertNone(List<string> found, string where) =>
        Assert.True(found.Count == 0, $"{found.Count} secret(s) in the {where}:\n{string.Join('\n', found)}");

    /// <summary>Random bytes whose base64 has no <c>+</c>, <c>/</c> or padding, so it survives a URL unencoded.</summary>
    private static byte[] UrlSafeBase64Bytes()
    {
        while (true)
        {
            byte[] bytes = RandomNumberGenerator.GetBytes(30);
            string text = Convert.ToBase64String(bytes);
            if (!text.Contains('+') && !text.Contains('/'))
            {
                return bytes;
            }
        }
    }

    private static async Task WaitForLogAsync(ServerProcess server, string marker)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!server.StandardOutput.Contains(marker, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the server never logged the control request.\n{server.StandardOutput}");
            await Task.Delay(100);
        }
    }

    /// <summary>Every column of every row of the audit tables, as stored, one value per line; and the event types.</summary>
    private async Task<(string Text, List<string> EventTypes)> ReadAuditTablesAsync()
    {
        var text = new StringBuilder();
        var eventTypes = new List<string>();
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        foreach (string table in new[] { "AuditEvents", "AuditChainHeads" })
        {
            await using SqliteCommand command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {table}";
            await using SqliteDataReader reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                for (int i = 0; i < reader.FieldCount; i++)
                {
                    object value = reader.GetValue(i);
                    text.AppendLine(value is byte[] blob
                        ? Convert.ToBase64String(blob) + " " + Convert.ToHexStringLower(blob)
                        : Convert.ToString(value, CultureInfo.InvariantCulture));
                    if (table == "AuditEvents" && reader.GetName(i) == "EventType")
                    {
                        eventTypes.Add(reader.GetString(i));
                    }
                }
            }
        }

        Assert.True(eventTypes.Count > 30, $"only {eventTypes.Count} audit records");
        return (text.ToString(), eventTypes);
    }

    /// <summary>The raw bytes of the database and its journal files, as Latin-1 text (every encoding searched is ASCII).</summary>
    private string ReadDatabaseFiles() =>
        string.Concat(Directory.GetFiles(_directory, "kms.db*").Select(path => Encoding.Latin1.GetString(File.ReadAllBytes(path))));

    /// <summary>The calls of a full run over HTTP, registering every secret they send or receive.</summary>
    private sealed class Workload(Uri address, string agent, SecretSearch never, SecretSearch notInRecords, string databasePath)
    {
        private HttpClient _admin = default!;

        public HttpClient Client(string? token)
        {
            var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", agent);
            if (token is not null)
            {
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            return client;
        }

        /// <summary>Runs everything; returns the name and ID of the AES key, which records and the log may name.</summary>
        public async Task<(string KeyName, string KeyId)> RunAsync()
        {
            using HttpClient anonymous = Client(null);
            string password = "Leak-Password-" + Guid.NewGuid().ToString("N");
            JsonObject boot = await OkAsync(anonymous, "/api/v1/admin/bootstrap", new { email = "leak@example.com", password, organization = "Leak Corp" });
            string adminToken = (string)boot["identity"]!["credentials"]!["token"]!;
            never.Text("bootstrap password", password);
            Token("bootstrap token", adminToken);
            _admin = Client(adminToken);
            string projectId = (string)(await OkAsync(_admin, "/api/v1/projects", new { projectName = "Leak" }))["project"]!["id"]!;

            HttpClient app = await IdentityAsync(anonymous, (string)boot["organization"]!["id"]!, projectId);
            (string aesName, string aes) = await KeyAsync(projectId, "encrypt-decrypt", "aes-256-gcm");
            (_, string ecc) = await KeyAsync(projectId, "sign-verify", "ECC_NIST_P256");
            (_, string hmac) = await KeyAsync(projectId, "generate-verify-mac", "HMAC_SHA_256");
            await EncryptionAsync(aes, app);
            await SigningAsync(ecc);
            await MacAsync(hmac);
            await ExportAsync(aes, ecc, hmac);
            await ImportAsync(projectId);
            await OutageAsync(aes);
            return (aesName, aes);
        }

        /// <summary>An identity with Universal Auth: a client secret, a login, a renewal, failed attempts, and finally revocations.</summary>
        private async Task<HttpClient> IdentityAsync(HttpClient anonymous, string organizationId, string projectId)
        {
            string id = (string)(await OkAsync(_admin, "/api/v1/identities", new { name = "leak-app", organizationId }))["identity"]!["id"]!;
            string ua = "/api/v1/auth/universal-auth/identities/" + id;
            string clientId = (string)(await OkAsync(_admin, ua, new { }))["identityUniversalAuth"]!["clientId"]!;
            JsonObject created = await OkAsync(_admin, ua + "/client-secrets", new { description = "leak" });
            string secret = (string)created["clientSecret"]!;
            never.Text("client secret", secret).Bytes("client secret", Convert.FromHexString(secret));
            await OkAsync(_admin, $"/api/v1/projects/{projectId}/identity-memberships/{id}", new { role = "member" });

            string token = (string)(await OkAsync(anonymous, "/api/v1/auth/universal-auth/login", new { clientId, clientSecret = secret }))["accessToken"]!;
            Token("login token", token);
            await OkAsync(anonymous, "/api/v1/auth/token/renew", new { accessToken = token });
            string wrong = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            never.Text("wrong client secret", wrong);
            await StatusAsync(anonymous, "/api/v1/auth/universal-auth/login", new { clientId, clientSecret = wrong }, 401);
            string bogus = "bogus-token-" + Guid.NewGuid().ToString("N");
            never.Text("bogus token", bogus);
            await StatusAsync(anonymous, "/api/v1/auth/token/renew", new { accessToken = bogus }, 401);

            HttpClient app = Client(token);
            await GetOkAsync(app, $"/api/v1/kms/keys?projectId={projectId}");
            string revokedToken = (string)(await OkAsync(anonymous, "/api/v1/auth/universal-auth/login", new { clientId, clientSecret = secret }))["accessToken"]!;
            Token("revoked token", revokedToken);
            await OkAsync(anonymous, "/api/v1/auth/token/revoke", new { accessToken = revokedToken });
            await StatusAsync(Client(revokedToken), $"/api/v1/kms/keys?projectId={projectId}", null, 401);
            await OkAsync(_admin, $"{ua}/client-secrets/{(string)created["clientSecretData"]!["id"]!}/revoke", null);
            return app;
        }

        private async Task<(string Name, string Id)> KeyAsync(string projectId, string usage, string algorithm)
        {
            string name = "leak-" + Guid.NewGuid().ToString("N")[..20];
            JsonObject key = await OkAsync(_admin, "/api/v1/kms/keys", new { projectId, name, keyUsage = usage, algorithm, isExportable = true });
            return (name, (string)key["key"]!["id"]!);
        }

        private async Task EncryptionAsync(string aes, HttpClient app)
        {
            string key = "/api/v1/kms/keys/" + aes;
            string p1 = Plain("plaintext one");
            string aad = Plain("associated data");
            string c1 = Cipher("ciphertext one", (string)(await OkAsync(_admin, key + "/encrypt", new { plaintext = p1, associatedData = aad }))["ciphertext"]!);
            Assert.Equal(p1, (string?)(await OkAsync(_admin, key + "/decrypt", new { ciphertext = c1, associatedData = aad }))["plaintext"]);
            byte[] tampered = Convert.FromBase64String(c1);
            tampered[^4] ^= 0x01;
            never.Bytes("tampered ciphertext", tampered);
            await StatusAsync(_admin, key + "/decrypt", new { ciphertext = Convert.ToBase64String(tampered), associatedData = aad }, 400);

            string p5 = Plain("plaintext of the application");
            Cipher("ciphertext of the application", (string)(await OkAsync(app, key + "/encrypt", new { plaintext = p5 }))["ciphertext"]!);

            string p2 = Plain("batch plaintext two");
            string p3 = Plain("batch plaintext three");
            JsonArray sealedItems = (await OkAsync(_admin, key + "/encrypt/batch", new { items = new[] { new { plaintext = p2 }, new { plaintext = p3 } } }))["items"]!.AsArray();
            string c2 = Cipher("batch ciphertext two", (string)sealedItems[0]!["ciphertext"]!);
            string c3 = Cipher("batch ciphertext three", (string)sealedItems[1]!["ciphertext"]!);
            await OkAsync(_admin, key + "/decrypt/batch", new { items = new[] { new { ciphertext = c2 }, new { ciphertext = c3 } } });

            JsonObject dataKey = await OkAsync(_admin, key + "/data-key", new { associatedData = aad });
            never.Base64("data key", (string)dataKey["plaintext"]!);
            Cipher("data key ciphertext", (string)dataKey["ciphertext"]!);

            await OkAsync(_admin, key + "/rotate", null);
            Cipher("rewrapped ciphertext", (string)(await OkAsync(_admin, key + "/rewrap", new { ciphertext = c1, associatedData = aad }))["ciphertext"]!);
        }

        private async Task SigningAsync(string ecc)
        {
            string key = "/api/v1/kms/keys/" + ecc;
            string data = Plain("data to sign");
            string s1 = Cipher("signature one", (string)(await OkAsync(_admin, key + "/sign", new { signingAlgorithm = "ECDSA_SHA_256", data }))["signature"]!);
            byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes("leak-digest-source-" + Guid.NewGuid()));
            never.Bytes("digest to sign", digest);
            string d = Convert.ToBase64String(digest);
            string s2 = Cipher("digest signature", (string)(await OkAsync(_admin, key + "/sign",
                new { signingAlgorithm = "ECDSA_SHA_256", data = d, isDigest = true }))["signature"]!);
            Assert.True((bool)(await OkAsync(_admin, key + "/verify", new { signingAlgorithm = "ECDSA_SHA_256", data, signature = s1 }))["signatureValid"]!);
            JsonArray signed = (await OkAsync(_admin, key + "/sign/batch", new { items = new[] { new { signingAlgorithm = "ECDSA_SHA_256", data } } }))["items"]!.AsArray();
            Cipher("batch signature", (string)signed[0]!["signature"]!);
            await OkAsync(_admin, key + "/verify/batch", new
            {
                items = new object[]
                {
                    new { signingAlgorithm = "ECDSA_SHA_256", data, signature = s1 },
                    new { signingAlgorithm = "ECDSA_SHA_256", data = d, signature = s2, isDigest = true },
                },
            });
            notInRecords.Base64("public key", (string)(await GetOkAsync(_admin, key + "/public-key"))["publicKey"]!);
        }

        private async Task MacAsync(string hmac)
        {
            string key = "/api/v1/kms/keys/" + hmac;
            string data = Plain("data to authenticate");
            string mac = Cipher("mac", (string)(await OkAsync(_admin, key + "/generate-mac", new { data }))["mac"]!);
            Assert.True((bool)(await OkAsync(_admin, key + "/verify-mac", new { data, mac }))["macValid"]!);
        }

        private async Task ExportAsync(string aes, string ecc, string hmac)
        {
            never.Base64("exported aes key", (string)(await GetOkAsync(_admin, $"/api/v1/kms/keys/{aes}/private-key"))["privateKey"]!);
            Pem("exported ecc key", Encoding.UTF8.GetString(Convert.FromBase64String(
                (string)(await GetOkAsync(_admin, $"/api/v1/kms/keys/{ecc}/private-key"))["privateKey"]!)));
            JsonArray keys = (await OkAsync(_admin, "/api/v1/kms/keys/bulk-export-private-keys", new { keyIds = new[] { aes, ecc, hmac } }))["keys"]!.AsArray();
            never.Base64("bulk-exported hmac key", (string)keys[2]!["privateKey"]!);
        }

        private async Task ImportAsync(string projectId)
        {
            byte[] aes = RandomNumberGenerator.GetBytes(32);
            byte[] hmac = RandomNumberGenerator.GetBytes(48);
            byte[] tooShort = RandomNumberGenerator.GetBytes(20);
            using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            string pem = ec.ExportPkcs8PrivateKeyPem();
            never.Bytes("imported aes material", aes).Bytes("imported hmac material", hmac).Bytes("refused aes material", tooShort);
            Pem("imported ecc key", pem);
            JsonObject result = await OkAsync(_admin, "/api/v1/kms/keys/bulk-import", new
            {
                projectId,
                keys = new object[]
                {
                    new { name = "imported-aes", algorithm = "aes-256-gcm", keyMaterial = Convert.ToBase64String(aes) },
                    new { name = "imported-mac", keyUsage = "generate-verify-mac", algorithm = "HMAC_SHA_384", keyMaterial = Convert.ToBase64String(hmac) },
                    new { name = "imported-ecc", keyUsage = "sign-verify", algorithm = "ECC_NIST_P384", keyMaterial = Convert.ToBase64String(Encoding.UTF8.GetBytes(pem)) },
                    new { name = "refused-aes", algorithm = "aes-256-gcm", keyMaterial = Convert.ToBase64String(tooShort) },
                },
            });
            Assert.Equal(3, result["keys"]!.AsArray().Count);
            Assert.Single(result["errors"]!.AsArray());
        }

        /// <summary>An encryption refused (500) because the audit log cannot be written; its error is logged.</summary>
        private async Task OutageAsync(string aes)
        {
            string plaintext = Plain("plaintext during the outage");
            await SqlAsync("CREATE TRIGGER fail_audit BEFORE INSERT ON AuditEvents BEGIN SELECT RAISE(ABORT, 'audit down'); END;");
            try
            {
                await StatusAsync(_admin, $"/api/v1/kms/keys/{aes}/encrypt", new { plaintext }, 500);
            }
            finally
            {
                await SqlAsync("DROP TRIGGER fail_audit;");
            }
        }

        private async Task SqlAsync(string sql)
        {
            await using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
            await connection.OpenAsync();
            await using SqliteCommand command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }

        /// <summary>A distinctive text secret, registered, and returned as the base64 the API carries.</summary>
        private string Plain(string label)
        {
            string text = $"leak {label} {Guid.NewGuid():N}";
            never.Text(label, text);
            return Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
        }

        /// <summary>Registers a binary value the API returned (ciphertext, signature, MAC) and passes it on.</summary>
        private string Cipher(string label, string base64)
        {
            never.Base64(label, base64);
            return base64;
        }

        /// <summary>An opaque token: the string, and the bytes it encodes (base64url).</summary>
        private void Token(string label, string token)
        {
            string padded = token.Replace('-', '+').Replace('_', '/');
            never.Text(label, token).Base64(label, padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
        }

        /// <summary>A PEM private key: the whole text, its first base64 line, and the DER it carries.</summary>
        private void Pem(string label, string pem)
        {
            string[] lines = pem.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            never.Text(label, pem);
            never.Text(label + " first line", lines[1]);
            never.Bytes(label + " DER", Convert.FromBase64String(string.Concat(lines[1..^1])));
        }

        /// <summary>POSTs <paramref name="body"/> (none when null) and returns the 200 body.</summary>
        private static async Task<JsonObject> OkAsync(HttpClient client, string path, object? body) =>
            await ApiAssert.OkAsync(await client.PostAsync(path, body is null ? null : JsonContent.Create(body)));

        private static async Task<JsonObject> GetOkAsync(HttpClient client, string path) => await ApiAssert.OkAsync(await client.GetAsync(path));

        private static async Task StatusAsync(HttpClient client, string path, object? body, int status)
        {
            using var request = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
            HttpResponseMessage response = await client.SendAsync(request);
            Assert.True((int)response.StatusCode == status, $"{path}: expected {status}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
