using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.Lifecycle.LifecycleApi;

namespace InfisicalKms.Tests.Web.Api.Lifecycle;

/// <summary>One server with keys of every kind and a caller of every project role (spec §9.3) plus an outsider.</summary>
public sealed class ExportFixture : IAsyncLifetime
{
    public KmsWebApplicationFactory Factory { get; } = new();

    public HttpClient OrgAdmin { get; private set; } = default!;

    public string ProjectId { get; private set; } = "";

    public string OtherProjectId { get; private set; } = "";

    public Dictionary<string, HttpClient> Callers { get; } = [];

    public string ExportableAes { get; private set; } = "";

    public string NonExportableAes { get; private set; } = "";

    public string ExportableHmac { get; private set; } = "";

    public string ExportableEcc { get; private set; } = "";

    public string ExportableRsa { get; private set; } = "";

    public string OtherProjectKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        OrgAdmin = (await Factory.AdminAsync()).Client;
        ProjectId = await CreateProjectAsync(OrgAdmin, "Export");
        OtherProjectId = await CreateProjectAsync(OrgAdmin, "Elsewhere");
        Task<JsonObject> rsa = CreateKeyAsync(OrgAdmin, ProjectId, "rsa", "sign-verify", "RSA_4096", isExportable: true);
        ExportableAes = (string)(await CreateKeyAsync(OrgAdmin, ProjectId, "aes-yes", isExportable: true))["id"]!;
        NonExportableAes = (string)(await CreateKeyAsync(OrgAdmin, ProjectId, "aes-no", isExportable: false))["id"]!;
        ExportableHmac = (string)(await CreateKeyAsync(OrgAdmin, ProjectId, "hmac", "generate-verify-mac", "HMAC_SHA_384", isExportable: true))["id"]!;
        ExportableEcc = (string)(await CreateKeyAsync(OrgAdmin, ProjectId, "ecc", "sign-verify", "ECC_NIST_P256", isExportable: true))["id"]!;
        OtherProjectKey = (string)(await CreateKeyAsync(OrgAdmin, OtherProjectId, "far", isExportable: true))["id"]!;
        foreach (string role in new[] { "admin", "member", "viewer", "cryptographic-operator", "no-access" })
        {
            Callers[role] = await CallerAsync(Factory, ProjectId, role);
        }

        Callers["org-admin"] = OrgAdmin;
        Callers["not-a-member"] = await CallerAsync(Factory, ProjectId, role: null);
        ExportableRsa = (string)(await rsa)["id"]!;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

/// <summary>Export of key material (spec §7.14, §7.16, §6.11) for every role and exportability.</summary>
public sealed class ExportApiTests(ExportFixture fixture) : IClassFixture<ExportFixture>
{
    private const string Forbidden = "You are not allowed to export-private-key on cmek";

    public static TheoryData<string, bool> RolesAndExportability
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (string role in new[] { "org-admin", "admin", "member", "viewer", "cryptographic-operator", "no-access", "not-a-member" })
            {
                data.Add(role, true);
                data.Add(role, false);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(RolesAndExportability))]
    public async Task Export_EveryRoleAndExportability_GivesTheSpecsAnswerAsync(string role, bool isExportable)
    {
        HttpClient caller = fixture.Callers[role];
        string keyId = isExportable ? fixture.ExportableAes : fixture.NonExportableAes;

        HttpResponseMessage single = await caller.GetAsync($"/api/v1/kms/keys/{keyId}/private-key");
        HttpResponseMessage bulk = await caller.PostAsJsonAsync("/api/v1/kms/keys/bulk-export-private-keys", new { keyIds = new[] { keyId } });

        switch (role)
        {
            case "org-admin" or "admin" when isExportable:
                byte[] material = Convert.FromBase64String((string)(await ApiAssert.OkAsync(single))["privateKey"]!);
                Assert.Equal(32, material.Length);
                JsonObject exported = (await ApiAssert.OkAsync(bulk))["keys"]!.AsArray().Single()!.AsObject();
                Assert.Equal(keyId, (string?)exported["keyId"]);
                Assert.Equal("aes-yes", (string?)exported["name"]);
                Assert.Equal("encrypt-decrypt", (string?)exported["keyUsage"]);
                Assert.Equal("aes-256-gcm", (string?)exported["algorithm"]);
                Assert.Equal(material, Convert.FromBase64String((string)exported["privateKey"]!));
                Assert.False(exported.ContainsKey("publicKey"));
                break;
            case "org-admin" or "admin":
                await ApiAssert.ErrorAsync(single, 400, "BadRequest", "You are not allowed to export this key");
                await ApiAssert.ErrorAsync(bulk, 400, "BadRequest", $"You are not allowed to export key with ID \"{keyId}\"");
                break;
            case "not-a-member":
                await ApiAssert.ErrorAsync(single, 404, "NotFound", $"Key with ID \"{keyId}\" not found");
                await ApiAssert.ErrorAsync(bulk, 404, "NotFound", $"Key with ID \"{keyId}\" not found");
                break;
            default:
                // member, viewer, cryptographic-operator and no-access are members without export-private-key.
                await ApiAssert.ErrorAsync(single, 403, "PermissionDenied", Forbidden);
                await ApiAssert.ErrorAsync(bulk, 403, "PermissionDenied", Forbidden);
                break;
        }
    }

    [Fact]
    public async Task Export_Aes_IsTheRawCurrentVersionMaterialAsync()
    {
        HttpClient admin = fixture.OrgAdmin;
        string keyId = (string)(await CreateKeyAsync(admin, fixture.ProjectId, Name("aes-rot"), algorithm: "aes-128-gcm", isExportable: true))["id"]!;
        byte[] before = await ExportAsync(admin, keyId);
        Assert.Equal(16, before.Length);
        string v1 = await EncryptAsync(admin, keyId, "under v1"u8.ToArray());
        Assert.Equal("under v1"u8.ToArray(), OpenLocally(before, v1));

        await RotateAsync(admin, keyId);
        byte[] after = await ExportAsync(admin, keyId);
        string v2 = await EncryptAsync(admin, keyId, "under v2"u8.ToArray());

        Assert.NotEqual(before, after);
        Assert.Equal("under v2"u8.ToArray(), OpenLocally(after, v2));
        Assert.Null(OpenLocally(after, v1));   // older versions are never exported (spec §6.11)
    }

    [Fact]
    public async Task Export_Hmac_IsTheRawKeyOfTheGeneratedMacsAsync()
    {
        byte[] material = await ExportAsync(fixture.OrgAdmin, fixture.ExportableHmac);
        byte[] data = Encoding.UTF8.GetBytes("authenticate me");

        JsonObject mac = await ApiAssert.OkAsync(await fixture.OrgAdmin.PostAsJsonAsync($"/api/v1/kms/keys/{fixture.ExportableHmac}/generate-mac",
            new { data = Convert.ToBase64String(data) }));

        Assert.Equal(48, material.Length);
        Assert.Equal(HMACSHA384.HashData(material, data), Convert.FromBase64String((string)mac["mac"]!));
    }

    [Theory]
    [InlineData("ecc")]
    [InlineData("rsa")]
    public async Task Export_Asymmetric_IsCanonicalPkcs8PemOfTheKeysPrivateKeyAsync(string which)
    {
        HttpClient admin = fixture.OrgAdmin;
        string keyId = which == "ecc" ? fixture.ExportableEcc : fixture.ExportableRsa;

        string pem = Encoding.ASCII.GetString(await ExportAsync(admin, keyId));

        byte[] der = AssertCanonicalPkcs8Pem(pem);
        byte[] spki = Convert.FromBase64String((string)(await ApiAssert.OkAsync(await admin.GetAsync($"/api/v1/kms/keys/{keyId}/public-key")))["publicKey"]!);
        using AsymmetricAlgorithm key = which == "ecc" ? ECDsa.Create() : RSA.Create();
        key.ImportPkcs8PrivateKey(der, out int read);
        Assert.Equal(der.Length, read);
        Assert.Equal(spki, key.ExportSubjectPublicKeyInfo());

        // The exported private key signs what the server's public key verifies.
        byte[] data = Encoding.UTF8.GetBytes("signed outside the server");
        (string algorithm, byte[] signature) = key switch
        {
            ECDsa ecdsa => ("ECDSA_SHA_256", ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
            RSA rsa => ("RSASSA_PSS_SHA_256", rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss)),
            _ => throw new InvalidOperationException(),
        };
        JsonObject verified = await ApiAssert.OkAsync(await admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/verify",
            new { signingAlgorithm = algorithm, data = Convert.ToBase64String(data), signature = Convert.ToBase64String(signature) }));
        Assert.True((bool)verified["signatureValid"]!);

        // Bulk export carries the same PEM and, for sign-verify keys, the public key.
        JsonObject bulk = (await ApiAssert.OkAsync(await admin.PostAsJsonAsync("/api/v1/kms/keys/bulk-export-private-keys",
            new { keyIds = new[] { keyId } })))["keys"]![0]!.AsObject();
        Assert.Equal(pem, Encoding.ASCII.GetString(Convert.FromBase64String((string)bulk["privateKey"]!)));
        Assert.Equal(spki, Convert.FromBase64String((string)bulk["publicKey"]!));
        Assert.Equal("sign-verify", (string?)bulk["keyUsage"]);
        Assert.Equal(which == "ecc" ? "ECC_NIST_P256" : "RSA_4096", (string?)bulk["algorithm"]);
    }

    [Fact]
    public async Task BulkExport_SeveralKeys_AreReturnedInRequestOrderAsync()
    {
        string[] ids = [fixture.ExportableEcc, fixture.ExportableAes, fixture.ExportableHmac, fixture.OtherProjectKey];

        JsonArray keys = (await ApiAssert.OkAsync(await fixture.OrgAdmin.PostAsJsonAsync("/api/v1/kms/keys/bulk-export-private-keys",
            new { keyIds = ids })))["keys"]!.AsArray();

        Assert.Equal(ids, keys.Select(k => (string)k!["keyId"]!));
        Assert.Equal(["ecc", "aes-yes", "hmac", "far"], keys.Select(k => (string)k!["name"]!));
        Assert.Equal([true, false, false, false], keys.Select(k => k!.AsObject().ContainsKey("publicKey")));
        Assert.Equal(await ExportAsync(fixture.OrgAdmin, fixture.ExportableHmac), Convert.FromBase64String((string)keys[2]!["privateKey"]!));
    }

    [Fact]
    public async Task BulkExport_FirstFailingKeyInRequestOrder_DecidesAndNothingIsReturnedAsync()
    {
        HttpClient admin = fixture.OrgAdmin;
        string unknown = Guid.NewGuid().ToString();
        string path = "/api/v1/kms/keys/bulk-export-private-keys";

        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(path, new { keyIds = new[] { fixture.ExportableAes, fixture.NonExportableAes, unknown } }),
            400, "BadRequest", $"You are not allowed to export key with ID \"{fixture.NonExportableAes}\"");
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(path, new { keyIds = new[] { fixture.ExportableAes, unknown, fixture.NonExportableAes } }),
            404, "NotFound", $"Key with ID \"{unknown}\" not found");

        // A member sees the permission failure of the first key before the exportability of the second.
        await ApiAssert.ErrorAsync(await fixture.Callers["member"].PostAsJsonAsync(path, new { keyIds = new[] { fixture.ExportableAes, fixture.NonExportableAes } }),
            403, "PermissionDenied", Forbidden);
    }

    [Fact]
    public async Task BulkExport_KeysOfSeveralProjects_NeedThePermissionInEachAsync()
    {
        HttpClient admin = fixture.OrgAdmin;
        string path = "/api/v1/kms/keys/bulk-export-private-keys";
        Caller adminOfOne = await CreateCallerAsync(fixture.Factory, fixture.ProjectId, "admin");

        // Not a member of the other project: that key does not exist for this caller.
        await ApiAssert.ErrorAsync(await adminOfOne.Client.PostAsJsonAsync(path, new { keyIds = new[] { fixture.ExportableAes, fixture.OtherProjectKey } }),
            404, "NotFound", $"Key with ID \"{fixture.OtherProjectKey}\" not found");

        // A viewer there: permission denied on that key.
        await AddMembershipAsync(admin, fixture.OtherProjectId, adminOfOne.IdentityId, "viewer");
        await ApiAssert.ErrorAsync(await adminOfOne.Client.PostAsJsonAsync(path, new { keyIds = new[] { fixture.ExportableAes, fixture.OtherProjectKey } }),
            403, "PermissionDenied", Forbidden);

        // The organization admin is admin everywhere.
        JsonArray keys = (await ApiAssert.OkAsync(await admin.PostAsJsonAsync(path, new { keyIds = new[] { fixture.OtherProjectKey, fixture.ExportableAes } })))["keys"]!.AsArray();
        Assert.Equal([fixture.OtherProjectKey, fixture.ExportableAes], keys.Select(k => (string)k!["keyId"]!));
    }

    [Fact]
    public async Task Export_DisabledExportableKey_IsRefusedOnBothRoutesAsync()
    {
        HttpClient admin = fixture.OrgAdmin;
        string keyId = (string)(await CreateKeyAsync(admin, fixture.ProjectId, Name("off"), isExportable: true))["id"]!;
        await ApiAssert.OkAsync(await DisableAsync(admin, keyId));

        await ApiAssert.ErrorAsync(await admin.GetAsync($"/api/v1/kms/keys/{keyId}/private-key"), 400, "BadRequest", "Key is disabled");

        // Disabled is checked before exportability (spec §7.16: 404, 403, disabled, exportable).
        string lockedKey = (string)(await CreateKeyAsync(admin, fixture.ProjectId, Name("off-no"), isExportable: false))["id"]!;
        await ApiAssert.OkAsync(await DisableAsync(admin, lockedKey));
        await ApiAssert.ErrorAsync(await admin.GetAsync($"/api/v1/kms/keys/{lockedKey}/private-key"), 400, "BadRequest", "Key is disabled");
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync("/api/v1/kms/keys/bulk-export-private-keys", new { keyIds = new[] { lockedKey } }),
            400, "BadRequest", $"Key with ID \"{lockedKey}\" is disabled");
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync("/api/v1/kms/keys/bulk-export-private-keys", new { keyIds = new[] { fixture.ExportableAes, keyId } }),
            400, "BadRequest", $"Key with ID \"{keyId}\" is disabled");
    }

    [Fact]
    public async Task BulkExport_KeyIdAsSent_IsEchoedInTheMessageAsync()
    {
        string upper = Guid.NewGuid().ToString().ToUpperInvariant();
        string nonExportableUpper = fixture.NonExportableAes.ToUpperInvariant();
        string path = "/api/v1/kms/keys/bulk-export-private-keys";

        await ApiAssert.ErrorAsync(await fixture.OrgAdmin.PostAsJsonAsync(path, new { keyIds = new[] { upper } }), 404, "NotFound", $"Key with ID \"{upper}\" not found");
        await ApiAssert.ErrorAsync(await fixture.OrgAdmin.PostAsJsonAsync(path, new { keyIds = new[] { nonExportableUpper } }),
            400, "BadRequest", $"You are not allowed to export key with ID \"{nonExportableUpper}\"");
    }

    public static TheoryData<string, string> InvalidBulkBodies => new()
    {
        { "{}", "keyIds: Required" },
        { """{"keyIds":null}""", "keyIds: Required" },
        { """{"keyIds":[]}""", "keyIds: Array must contain at least 1 element(s)" },
        { """{"keyIds":"3f6d2a8e-5b1c-4e9a-8d7f-2c4b6a8e0f13"}""", "keyIds: Expected array, received string" },
        { """{"keyIds":["3f6d2a8e-5b1c-4e9a-8d7f-2c4b6a8e0f13","nope"]}""", "keyIds[1]: Invalid uuid" },
        { """{"keyIds":["3f6d2a8e-5b1c-4e9a-8d7f-2c4b6a8e0f13",7]}""", "keyIds[1]: Expected string, received number" },
        { """{"keyIds":["3f6d2a8e-5b1c-4e9a-8d7f-2c4b6a8e0f13","x","y"]}""", "keyIds[1]: Invalid uuid; keyIds[2]: Invalid uuid" },
        { """{"keyIds":["3f6d2a8e-5b1c-4e9a-8d7f-2c4b6a8e0f13","3f6d2a8e-5b1c-4e9a-8d7f-2c4b6a8e0f13"]}""", "keyIds: Duplicate key IDs are not allowed" },
        { """{"keyIds":["3f6d2a8e-5b1c-4e9a-8d7f-2c4b6a8e0f13","3F6D2A8E-5B1C-4E9A-8D7F-2C4B6A8E0F13"]}""", "keyIds: Duplicate key IDs are not allowed" },
    };

    [Theory]
    [MemberData(nameof(InvalidBulkBodies))]
    public async Task BulkExport_InvalidBody_Is422Async(string json, string message)
    {
        await ApiAssert.ErrorAsync(await PostJsonAsync(fixture.OrgAdmin, "/api/v1/kms/keys/bulk-export-private-keys", json), 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task BulkExport_MoreThan100Keys_Is422Async()
    {
        string[] ids = Enumerable.Range(0, 101).Select(_ => Guid.NewGuid().ToString()).ToArray();

        await ApiAssert.ErrorAsync(await fixture.OrgAdmin.PostAsJsonAsync("/api/v1/kms/keys/bulk-export-private-keys", new { keyIds = ids }),
            422, "ValidationFailure", "keyIds: Array must contain at most 100 element(s)");
    }

    [Fact]
    public async Task Export_MalformedOrUnknownKeyId_Is422Or404Async()
    {
        await ApiAssert.ErrorAsync(await fixture.OrgAdmin.GetAsync("/api/v1/kms/keys/nope/private-key"), 422, "ValidationFailure", "keyId: Invalid uuid");
        string unknown = Guid.NewGuid().ToString();
        await ApiAssert.ErrorAsync(await fixture.OrgAdmin.GetAsync($"/api/v1/kms/keys/{unknown}/private-key"), 404, "NotFound", $"Key with ID \"{unknown}\" not found");
    }

    /// <summary>
    /// Spec §6.11: "-----BEGIN PRIVATE KEY-----", base64 of the DER at 64 characters a line (the last may be shorter),
    /// "-----END PRIVATE KEY-----", every line ending in LF. Returns the DER.
    /// </summary>
    public static byte[] AssertCanonicalPkcs8Pem(string pem)
    {
        Assert.DoesNotContain('\r', pem);
        Assert.EndsWith("\n", pem, StringComparison.Ordinal);
        string[] lines = pem[..^1].Split('\n');
        Assert.Equal("-----BEGIN PRIVATE KEY-----", lines[0]);
        Assert.Equal("-----END PRIVATE KEY-----", lines[^1]);
        string[] body = lines[1..^1];
        Assert.NotEmpty(body);
        Assert.All(body[..^1], line => Assert.Equal(64, line.Length));
        Assert.InRange(body[^1].Length, 4, 64);
        byte[] der = Convert.FromBase64String(string.Concat(body));
        Assert.Equal(string.Concat(body), Convert.ToBase64String(der));   // canonical base64
        return der;
    }

    private static async Task<byte[]> ExportAsync(HttpClient client, string keyId) =>
        Convert.FromBase64String((string)(await ApiAssert.OkAsync(await client.GetAsync($"/api/v1/kms/keys/{keyId}/private-key")))["privateKey"]!);

    /// <summary>Opens a v01/v02 blob with raw AES key bytes, outside the server; null when the tag does not verify.</summary>
    private static byte[]? OpenLocally(byte[] key, string ciphertext)
    {
        byte[] blob = Convert.FromBase64String(ciphertext);
        int payload = blob.Length - (blob[^1] == (byte)'2' ? 7 : 3);
        byte[] plaintext = new byte[payload - 28];
        using var aes = new AesGcm(key, 16);
        try
        {
            aes.Decrypt(blob.AsSpan(0, 12), blob.AsSpan(12, plaintext.Length), blob.AsSpan(12 + plaintext.Length, 16), plaintext);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}
