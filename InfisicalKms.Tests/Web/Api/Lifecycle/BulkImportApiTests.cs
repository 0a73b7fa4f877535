using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.Lifecycle.LifecycleApi;

namespace InfisicalKms.Tests.Web.Api.Lifecycle;

/// <summary>Bulk import (spec §7.15): request-level 422s import nothing; valid requests succeed or fail per entry.</summary>
public sealed class BulkImportApiTests(LifecycleServerFixture server) : IClassFixture<LifecycleServerFixture>
{
    private const string Path = "/api/v1/kms/keys/bulk-import";

    private static readonly Lazy<RSA> Rsa2048 = new(() => RSA.Create(2048));

    private HttpClient Admin => server.Admin;

    [Fact]
    public async Task Import_MixedEntries_ImportsTheGoodOnesAndReportsEachFailureInOrderAsync()
    {
        string projectId = await CreateProjectAsync(Admin, "Import mixed");
        byte[] aesKey = RandomNumberGenerator.GetBytes(32);
        using ECDsa p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using ECDsa p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        byte[] hmacKey = RandomNumberGenerator.GetBytes(40);
        var body = new JsonObject
        {
            ["projectId"] = projectId,
            ["keys"] = new JsonArray(
                Entry("legacy-aes", "aes-256-gcm", aesKey, description: "from Infisical", isExportable: true),
                Entry("short-aes", "aes-256-gcm", RandomNumberGenerator.GetBytes(16)),
                Entry("sec1-ecc", "ECC_NIST_P256", Ascii(p256.ExportECPrivateKeyPem()), keyUsage: "sign-verify"),
                Entry("legacy-rsa", "RSA_4096", Ascii(Rsa2048.Value.ExportPkcs8PrivateKeyPem()), keyUsage: "sign-verify"),
                Entry("wrong-curve", "ECC_NIST_P256", Ascii(p384.ExportPkcs8PrivateKeyPem()), keyUsage: "sign-verify"),
                Entry("legacy-aes", "aes-128-gcm", RandomNumberGenerator.GetBytes(16)),
                Entry("good-ecc", "ECC_NIST_P256", Ascii(p256.ExportPkcs8PrivateKeyPem()), keyUsage: "sign-verify"),
                Entry("good-hmac", "HMAC_SHA_256", hmacKey, keyUsage: "generate-verify-mac")),
        };

        JsonObject result = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync(Path, body));

        Assert.Equal(["legacy-aes", "good-ecc", "good-hmac"], result["keys"]!.AsArray().Select(k => (string)k!["name"]!));
        Assert.Equal(
            [
                ("short-aes", "Invalid key material length for aes-256-gcm. Expected 32 bytes, got 16."),
                ("sec1-ecc", "Invalid key material for ECC_NIST_P256: expected an unencrypted PKCS#8 PEM private key"),
                ("legacy-rsa", "Invalid key material for RSA_4096: expected a 4096-bit RSA key, got 2048 bits"),
                ("wrong-curve", "Invalid key material for ECC_NIST_P256: expected a private key on curve P-256"),
                ("legacy-aes", $"A KMS key with the name \"legacy-aes\" already exists for the project with ID \"{projectId}\""),
            ],
            result["errors"]!.AsArray().Select(e => ((string)e!["name"]!, (string)e["message"]!)));

        // Nothing wrong was imported; the imported keys are version 1, enabled, and keep their flags.
        JsonObject list = await ApiAssert.OkAsync(await Admin.GetAsync($"/api/v1/kms/keys?projectId={projectId}"));
        Assert.Equal(["good-ecc", "good-hmac", "legacy-aes"], list["keys"]!.AsArray().Select(k => (string)k!["name"]!));
        Dictionary<string, JsonObject> keys = list["keys"]!.AsArray().ToDictionary(k => (string)k!["name"]!, k => k!.AsObject());
        Assert.All(keys.Values, k => Assert.Equal(1, (int)k["version"]!));
        Assert.All(keys.Values, k => Assert.False((bool)k["isDisabled"]!));
        Assert.Equal(("encrypt-decrypt", "aes-256-gcm", true, "from Infisical"), Facts(keys["legacy-aes"]));
        Assert.Equal(("sign-verify", "ECC_NIST_P256", false, (string?)null), Facts(keys["good-ecc"]));
        Assert.Equal(("generate-verify-mac", "HMAC_SHA_256", false, (string?)null), Facts(keys["good-hmac"]));
        Assert.Equal((string)result["keys"]![0]!["id"]!, (string?)keys["legacy-aes"]["id"]);

        // The material is the imported material.
        Assert.Equal(aesKey, Convert.FromBase64String((string)(await ApiAssert.OkAsync(
            await Admin.GetAsync($"/api/v1/kms/keys/{keys["legacy-aes"]["id"]}/private-key")))["privateKey"]!));
        Assert.Equal(p256.ExportSubjectPublicKeyInfo(), Convert.FromBase64String((string)(await ApiAssert.OkAsync(
            await Admin.GetAsync($"/api/v1/kms/keys/{keys["good-ecc"]["id"]}/public-key")))["publicKey"]!));
        JsonObject mac = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keys["good-hmac"]["id"]}/generate-mac", new { data = "AQID" }));
        Assert.Equal(HMACSHA256.HashData(hmacKey, new byte[] { 1, 2, 3 }), Convert.FromBase64String((string)mac["mac"]!));
    }

    [Fact]
    public async Task Import_EveryEntryFailing_IsStill200WithOnlyErrorsAsync()
    {
        string existing = Name("taken");
        await CreateKeyAsync(Admin, server.ProjectId, existing);
        var body = new JsonObject
        {
            ["projectId"] = server.ProjectId,
            ["keys"] = new JsonArray(
                Entry(existing, "aes-128-gcm", RandomNumberGenerator.GetBytes(16)),
                Entry(Name("aes-long"), "aes-128-gcm", RandomNumberGenerator.GetBytes(32))),
        };

        JsonObject result = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync(Path, body));

        Assert.Empty(result["keys"]!.AsArray());
        Assert.Equal(
            [
                $"A KMS key with the name \"{existing}\" already exists for the project with ID \"{server.ProjectId}\"",
                "Invalid key material length for aes-128-gcm. Expected 16 bytes, got 32.",
            ],
            result["errors"]!.AsArray().Select(e => (string)e!["message"]!));
    }

    public static TheoryData<string, string, string> BadAsymmetricMaterial()
    {
        using ECDsa p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using ECDsa p521 = ECDsa.Create(ECCurve.NamedCurves.nistP521);
        string encrypted = p256.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000));
        return new TheoryData<string, string, string>
        {
            { "ECC_NIST_P256", encrypted, "Invalid key material for ECC_NIST_P256: expected an unencrypted PKCS#8 PEM private key" },
            { "ECC_NIST_P256", p256.ExportSubjectPublicKeyInfoPem(), "Invalid key material for ECC_NIST_P256: expected an unencrypted PKCS#8 PEM private key" },
            { "RSA_4096", Rsa2048.Value.ExportRSAPrivateKeyPem(), "Invalid key material for RSA_4096: expected an unencrypted PKCS#8 PEM private key" },
            { "RSA_4096", "not a pem at all", "Invalid key material for RSA_4096: expected an unencrypted PKCS#8 PEM private key" },
            { "ECC_NIST_P384", Rsa2048.Value.ExportPkcs8PrivateKeyPem(), "Invalid key material for ECC_NIST_P384: expected a private key on curve P-384" },
            { "ECC_NIST_P256", p521.ExportPkcs8PrivateKeyPem(), "Invalid key material for ECC_NIST_P256: expected a private key on curve P-256" },
            { "ECC_NIST_P521", p256.ExportPkcs8PrivateKeyPem(), "Invalid key material for ECC_NIST_P521: expected a private key on curve P-521" },
        };
    }

    [Theory]
    [MemberData(nameof(BadAsymmetricMaterial))]
    public async Task Import_BadAsymmetricMaterial_FailsTheEntryWithTheSpecsMessageAsync(string algorithm, string pem, string message)
    {
        string name = Name("bad-pem");

        JsonObject result = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync(Path, new JsonObject
        {
            ["projectId"] = server.ProjectId,
            ["keys"] = new JsonArray(Entry(name, algorithm, Ascii(pem), keyUsage: "sign-verify")),
        }));

        Assert.Empty(result["keys"]!.AsArray());
        Assert.Equal(message, (string?)result["errors"]![0]!["message"]);
    }

    [Fact]
    public async Task Import_NonUtf8BytesAsPem_FailsTheEntryAsync()
    {
        JsonObject result = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync(Path, new JsonObject
        {
            ["projectId"] = server.ProjectId,
            ["keys"] = new JsonArray(Entry(Name("binary"), "ECC_NIST_P256", [0xff, 0xfe, 0x00, 0x80], keyUsage: "sign-verify")),
        }));

        Assert.Equal("Invalid key material for ECC_NIST_P256: expected an unencrypted PKCS#8 PEM private key", (string?)result["errors"]![0]!["message"]);
    }

    [Fact]
    public async Task Import_PemWithCrlfLongLinesAndTrailingWhitespace_IsStoredAndExportedCanonicallyAsync()
    {
        using ECDsa p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        byte[] der = p384.ExportPkcs8PrivateKey();
        string base64 = Convert.ToBase64String(der);
        string messy = "-----BEGIN PRIVATE KEY-----\r\n"
            + string.Join("\r\n", base64.Chunk(76).Select(c => new string(c))) + "\r\n"
            + "-----END PRIVATE KEY-----\r\n  \r\n";

        string keyId = await ImportKeyAsync(Admin, server.ProjectId, Name("messy"), "ECC_NIST_P384", Ascii(messy), keyUsage: "sign-verify", isExportable: true);
        string exported = Encoding.ASCII.GetString(Convert.FromBase64String((string)(await ApiAssert.OkAsync(
            await Admin.GetAsync($"/api/v1/kms/keys/{keyId}/private-key")))["privateKey"]!));

        Assert.Equal(der, ExportApiTests.AssertCanonicalPkcs8Pem(exported));
        Assert.Equal(p384.ExportPkcs8PrivateKeyPem().ReplaceLineEndings("\n") + "\n", exported);
    }

    [Fact]
    public async Task Import_EncryptionAlgorithmOnly_IsAcceptedAsync()
    {
        string name = Name("enc-alg");
        byte[] material = RandomNumberGenerator.GetBytes(16);
        var entry = new JsonObject { ["name"] = name, ["encryptionAlgorithm"] = "aes-128-gcm", ["keyMaterial"] = Convert.ToBase64String(material) };

        JsonObject result = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync(Path, new JsonObject { ["projectId"] = server.ProjectId, ["keys"] = new JsonArray(entry) }));

        JsonObject key = await GetKeyAsync(Admin, (string)result["keys"]![0]!["id"]!);
        Assert.Equal("aes-128-gcm", (string?)key["algorithm"]);
        Assert.Equal("encrypt-decrypt", (string?)key["keyUsage"]);
        Assert.False((bool)key["isExportable"]!);   // default false
    }

    public static TheoryData<string, string> RequestLevelFailures() => new()
    {
        { Keys(Valid("a"), Valid("b"), """{"name":"c","algorithm":"aes-256-gcm","keyMaterial":"not base64"}"""), "keys[2].keyMaterial: keyMaterial must be base64 encoded" },
        { Keys("""{"name":"a","keyMaterial":"AAAAAAAAAAAAAAAAAAAAAA=="}"""), "keys[0].algorithm: algorithm is required" },
        { Keys("""{"name":"a","keyUsage":"sign-verify","algorithm":"aes-256-gcm","keyMaterial":"AA=="}"""), "keys[0].algorithm: algorithm must be an asymmetric algorithm for sign-verify keys" },
        { Keys("""{"name":"a","algorithm":"HMAC_SHA_256","keyMaterial":"AA=="}"""), "keys[0].algorithm: algorithm must be a symmetric algorithm for encrypt-decrypt keys" },
        { Keys("""{"name":"a","encryptionAlgorithm":"RSA_4096","keyMaterial":"AA=="}"""), "keys[0].encryptionAlgorithm: algorithm must be a symmetric algorithm for encrypt-decrypt keys" },
        { Keys("""{"name":"a","keyUsage":"generate-verify-mac","algorithm":"aes-128-gcm","keyMaterial":"AA=="}"""), "keys[0].algorithm: algorithm must be an HMAC algorithm for generate-verify-mac keys" },
        { Keys(Valid("z"), """{"name":"a","keyUsage":"generate-verify-mac","algorithm":"aes-128-gcm","encryptionAlgorithm":"HMAC_SHA_256","keyMaterial":"AA=="}"""),
            "keys[1].algorithm: algorithm must be an HMAC algorithm for generate-verify-mac keys" },
        { Keys("""{"name":"a","algorithm":"aes-256-gcm","keyMaterial":""}"""), "keys[0].keyMaterial: String must contain at least 1 character(s)" },
        { Keys("""{"name":"a","algorithm":"aes-256-gcm"}"""), "keys[0].keyMaterial: Required" },
        { Keys($$"""{"name":"a","algorithm":"aes-256-gcm","keyMaterial":"{{Convert.ToBase64String(new byte[16385])}}"}"""), "keys[0].keyMaterial: keyMaterial cannot exceed 16384 bytes" },
        { Keys("""{"name":"My_Key","algorithm":"aes-256-gcm","keyMaterial":"AA=="}"""), "keys[0].name: Name field can only contain lowercase letters, numbers, and hyphens" },
        { Keys("""{"name":"a","algorithm":"AES-256-GCM","keyMaterial":"AA=="}"""),
            "keys[0].algorithm: Invalid enum value. Expected 'aes-256-gcm' | 'aes-128-gcm' | 'RSA_4096' | 'ECC_NIST_P256' | 'ECC_NIST_P384' | 'ECC_NIST_P521' | " +
            "'HMAC_SHA_1' | 'HMAC_SHA_224' | 'HMAC_SHA_256' | 'HMAC_SHA_384' | 'HMAC_SHA_512', received 'AES-256-GCM'" },
        { Keys("\"a\"", Valid("b")), "keys[0]: Expected object, received string" },
        { Keys(Valid("a"), """{"name":"b","algorithm":"aes-256-gcm","keyMaterial":"AA==","isExportable":"yes"}"""), "keys[1].isExportable: Expected boolean, received string" },
        { Keys(Valid("a"), """{"algorithm":"aes-256-gcm","keyMaterial":"AA=="}""", """{"name":"c","keyMaterial":"AA=="}"""), "keys[1].name: Required; keys[2].algorithm: algorithm is required" },
        { "{ \"projectId\": \"PROJECT\", \"keys\": [] }", "keys: Array must contain at least 1 element(s)" },
        { "{ \"projectId\": \"PROJECT\" }", "keys: Required" },
        { "{ \"projectId\": \"PROJECT\", \"keys\": {} }", "keys: Expected array, received object" },
        { "{ \"keys\": [" + Valid("a") + "] }", "projectId: Required" },
    };

    [Theory]
    [MemberData(nameof(RequestLevelFailures))]
    public async Task Import_RequestLevelFailure_Is422AndImportsNothingAsync(string json, string message)
    {
        string projectId = await CreateProjectAsync(Admin, "Import 422");

        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, Path, json.Replace("PROJECT", projectId, StringComparison.Ordinal)), 422, "ValidationFailure", message);

        Assert.Equal(0, (int)(await ApiAssert.OkAsync(await Admin.GetAsync($"/api/v1/kms/keys?projectId={projectId}")))["totalCount"]!);
    }

    [Fact]
    public async Task Import_MoreThan100Keys_Is422AndImportsNothingAsync()
    {
        string projectId = await CreateProjectAsync(Admin, "Import 101");
        string json = "{ \"projectId\": \"" + projectId + "\", \"keys\": ["
            + string.Join(",", Enumerable.Range(0, 101).Select(i => Valid($"k{i}"))) + "] }";

        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, Path, json), 422, "ValidationFailure", "keys: Array must contain at most 100 element(s)");

        Assert.Equal(0, (int)(await ApiAssert.OkAsync(await Admin.GetAsync($"/api/v1/kms/keys?projectId={projectId}")))["totalCount"]!);
    }

    [Fact]
    public async Task Import_ExactlyHundredKeys_PassRequestValidationAndAreEachProcessedAsync()
    {
        // 100 entries are allowed; 99 of them fail on their own (wrong length), so only the last one is stored.
        string projectId = await CreateProjectAsync(Admin, "Import 100");
        string tooShort = Convert.ToBase64String(new byte[15]);
        string json = "{ \"projectId\": \"" + projectId + "\", \"keys\": ["
            + string.Join(",", Enumerable.Range(0, 99).Select(i => $$"""{"name":"k{{i}}","algorithm":"aes-128-gcm","keyMaterial":"{{tooShort}}"}"""))
            + "," + Valid("k99") + "] }";

        JsonObject result = await ApiAssert.OkAsync(await PostJsonAsync(Admin, Path, json));

        Assert.Equal(["k99"], result["keys"]!.AsArray().Select(k => (string)k!["name"]!));
        Assert.Equal(Enumerable.Range(0, 99).Select(i => $"k{i}"), result["errors"]!.AsArray().Select(e => (string)e!["name"]!));
        Assert.All(result["errors"]!.AsArray(), e => Assert.Equal("Invalid key material length for aes-128-gcm. Expected 16 bytes, got 15.", (string?)e!["message"]));
        Assert.Equal(1, (int)(await ApiAssert.OkAsync(await Admin.GetAsync($"/api/v1/kms/keys?projectId={projectId}")))["totalCount"]!);
    }

    [Fact]
    public async Task Import_ProjectAccess_FollowsTheRolesAsync()
    {
        string body = "{ \"projectId\": \"PROJECT\", \"keys\": [" + Valid("x") + "] }";
        string unknown = Guid.NewGuid().ToString();
        HttpClient viewer = await CallerAsync(server.Factory, server.ProjectId, "viewer");
        HttpClient member = await CallerAsync(server.Factory, server.ProjectId, "member");
        HttpClient outsider = await CallerAsync(server.Factory, server.ProjectId, role: null);

        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, Path, body.Replace("PROJECT", unknown, StringComparison.Ordinal)),
            404, "NotFound", $"Project with ID \"{unknown}\" not found");
        await ApiAssert.ErrorAsync(await PostJsonAsync(outsider, Path, body.Replace("PROJECT", server.ProjectId, StringComparison.Ordinal)),
            404, "NotFound", $"Project with ID \"{server.ProjectId}\" not found");
        await ApiAssert.ErrorAsync(await PostJsonAsync(viewer, Path, body.Replace("PROJECT", server.ProjectId, StringComparison.Ordinal)),
            403, "PermissionDenied", "You are not allowed to create on cmek");
        string name = Name("by-member");
        JsonObject imported = await ApiAssert.OkAsync(await PostJsonAsync(member, Path,
            "{ \"projectId\": \"" + server.ProjectId + "\", \"keys\": [" + Valid(name) + "] }"));
        Assert.Equal(name, (string?)imported["keys"]![0]!["name"]);
    }

    private static JsonObject Entry(string name, string algorithm, byte[] material, string? keyUsage = null, string? description = null, bool? isExportable = null)
    {
        var entry = new JsonObject { ["name"] = name, ["algorithm"] = algorithm, ["keyMaterial"] = Convert.ToBase64String(material) };
        if (keyUsage is not null)
        {
            entry["keyUsage"] = keyUsage;
        }

        if (description is not null)
        {
            entry["description"] = description;
        }

        if (isExportable is not null)
        {
            entry["isExportable"] = isExportable;
        }

        return entry;
    }

    private static (string Usage, string Algorithm, bool IsExportable, string? Description) Facts(JsonObject key) =>
        ((string)key["keyUsage"]!, (string)key["algorithm"]!, (bool)key["isExportable"]!, (string?)key["description"]);

    private static string Valid(string name) => $$"""{"name":"{{name}}","algorithm":"aes-128-gcm","keyMaterial":"AAECAwQFBgcICQoLDA0ODw=="}""";

    private static string Keys(params string[] entries) => "{ \"projectId\": \"PROJECT\", \"keys\": [" + string.Join(",", entries) + "] }";

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}
