using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Data.Sqlite;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>The calls of a full run over HTTP, registering every secret they send or receive.</summary>
public sealed class AuditLeakWorkload(Uri address, string agent, SecretSearch never, SecretSearch notInRecords, string databasePath)
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
