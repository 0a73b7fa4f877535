using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.Lifecycle.LifecycleApi;

namespace InfisicalKms.Tests.Web.Api.Lifecycle;

/// <summary>Data keys (spec §10.3), re-wrap (§10.4) and associated data (§6.6, §10.5), with the §6.12 vectors.</summary>
public sealed class DataKeyAndAadApiTests(LifecycleServerFixture server) : IClassFixture<LifecycleServerFixture>
{
    private const string HelloWorld = "aGVsbG8gd29ybGQ=";
    private const string TenantAcme = "dGVuYW50PWFjbWU=";
    private const string V01Aes256 = "AAECAwQFBgcICQoLL2e6d6rFtXT/LfMFMBxWQ34jd7mO85YcJxkodjAx";
    private const string V02Version2 = "AAECAwQFBgcICQoLNDcxyyUVnIPOla133As0B4kjHXg4LetL7PCQAAAAAnYwMg==";
    private const string V01Aes128 = "AAECAwQFBgcICQoL+wnLogk7gDs5vgVJsIXmMuSKWZm7hCcSNWVtdjAx";
    private const string V01WithAad = "AAECAwQFBgcICQoLL2e6d6rFtXT/LfM80EGpaIhiSWnbUALhdbE2djAx";
    private const string V01Empty = "AAECAwQFBgcICQoL9MLbHcOIBaN7khccXQqBzHYwMQ==";

    private HttpClient Admin => server.Admin;

    [Theory]
    [InlineData(null, 32)]
    [InlineData(32, 32)]
    [InlineData(16, 16)]
    public async Task DataKey_CiphertextDecryptsToTheReturnedPlaintextAsync(int? keySize, int expectedLength)
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("dk")))["id"]!;
        var body = new JsonObject();
        if (keySize is not null)
        {
            body["keySize"] = keySize;
        }

        JsonObject dataKey = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/data-key", body));

        byte[] plaintext = Convert.FromBase64String((string)dataKey["plaintext"]!);
        string ciphertext = (string)dataKey["ciphertext"]!;
        Assert.Equal(expectedLength, plaintext.Length);
        Assert.Equal(expectedLength + 31, Convert.FromBase64String(ciphertext).Length);
        Assert.Equal(plaintext, await DecryptOkAsync(Admin, keyId, ciphertext));
    }

    [Fact]
    public async Task DataKey_AfterRotationAndWithAad_UsesTheCurrentVersionAndBindsTheAadAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("dk-aad")))["id"]!;
        await RotateAsync(Admin, keyId);
        string aad = Base64("object=invoice-17");

        JsonObject dataKey = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/data-key",
            new { keySize = 16, associatedData = aad }));
        string ciphertext = (string)dataKey["ciphertext"]!;

        Assert.Equal(2, BlobVersion(ciphertext));
        Assert.Equal(Convert.FromBase64String((string)dataKey["plaintext"]!), await DecryptOkAsync(Admin, keyId, ciphertext, aad));
        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, keyId, ciphertext), 400, "BadRequest", DecryptionFailed);
        Assert.NotEqual((string)dataKey["plaintext"]!,
            (string)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/data-key", new { keySize = 16 })))["plaintext"]!);
    }

    public static TheoryData<string, string> InvalidDataKeyBodies => new()
    {
        { """{"keySize":24}""", "keySize: keySize must be 16 or 32" },
        { """{"keySize":0}""", "keySize: keySize must be 16 or 32" },
        { """{"keySize":64}""", "keySize: keySize must be 16 or 32" },
        { """{"keySize":-16}""", "keySize: keySize must be 16 or 32" },
        { """{"associatedData":"not base64"}""", "associatedData: associatedData must be base64 encoded" },
    };

    [Theory]
    [MemberData(nameof(InvalidDataKeyBodies))]
    public async Task DataKey_InvalidBody_Is422Async(string json, string message)
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("dk-bad")))["id"]!;

        await ApiAssert.ErrorAsync(await PostJsonAsync(Admin, $"/api/v1/kms/keys/{keyId}/data-key", json), 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task DataKey_WrongUsageOrDisabled_IsRefusedAsync()
    {
        string macKey = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("dk-mac"), "generate-verify-mac"))["id"]!;
        string disabled = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("dk-off")))["id"]!;
        await ApiAssert.OkAsync(await DisableAsync(Admin, disabled));

        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{macKey}/data-key", new { }), 400, "BadRequest",
            "Unsupported key type, expected encrypt-decrypt but got generate-verify-mac");
        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{disabled}/data-key", new { }), 400, "BadRequest", "Key is disabled");
        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{disabled}/rewrap", new { ciphertext = V01Aes256 }), 400, "BadRequest", "Key is disabled");
    }

    [Fact]
    public async Task Rewrap_OldVersionInCurrentVersionOut_WithTheSameAadAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("rw-aad")))["id"]!;
        string aad = Base64("row=42");
        string v1 = await EncryptAsync(Admin, keyId, Encoding.UTF8.GetBytes("wrapped"), aad);
        await RotateAsync(Admin, keyId);

        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/rewrap", new { ciphertext = v1 }), 400, "BadRequest", DecryptionFailed);
        string v2 = (string)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/rewrap",
            new { ciphertext = v1, associatedData = aad })))["ciphertext"]!;

        Assert.Equal(2, BlobVersion(v2));
        Assert.Equal(Encoding.UTF8.GetBytes("wrapped"), await DecryptOkAsync(Admin, keyId, v2, aad));
        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, keyId, v2), 400, "BadRequest", DecryptionFailed);
    }

    [Fact]
    public async Task Rewrap_Roles_NeedDecryptThenEncryptAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("rw-role")))["id"]!;
        string v1 = await EncryptAsync(Admin, keyId, "x"u8.ToArray());
        await RotateAsync(Admin, keyId);
        HttpClient operatorClient = await CallerAsync(server.Factory, server.ProjectId, "cryptographic-operator");
        HttpClient viewer = await CallerAsync(server.Factory, server.ProjectId, "viewer");

        string rewrapped = (string)(await ApiAssert.OkAsync(await operatorClient.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/rewrap", new { ciphertext = v1 })))["ciphertext"]!;
        Assert.Equal(2, BlobVersion(rewrapped));
        await ApiAssert.ErrorAsync(await viewer.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/rewrap", new { ciphertext = v1 }),
            403, "PermissionDenied", "You are not allowed to decrypt on cmek");
        await ApiAssert.ErrorAsync(await viewer.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/data-key", new { }),
            403, "PermissionDenied", "You are not allowed to encrypt on cmek");
    }

    [Fact]
    public async Task Aad_OnlyTheSameAssociatedDataDecryptsAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("aad")))["id"]!;
        byte[] plaintext = Encoding.UTF8.GetBytes("bound to a tenant");
        string aad = Base64("tenant=acme");
        string blob = await EncryptAsync(Admin, keyId, plaintext, aad);

        Assert.Equal(plaintext.Length + 31, Convert.FromBase64String(blob).Length);   // the AAD is not stored in the blob
        Assert.Equal(plaintext, await DecryptOkAsync(Admin, keyId, blob, aad));
        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, keyId, blob, Base64("tenant=acmf")), 400, "BadRequest", DecryptionFailed);
        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, keyId, blob), 400, "BadRequest", DecryptionFailed);
        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, keyId, blob, ""), 400, "BadRequest", DecryptionFailed);
        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/decrypt", new { ciphertext = blob, associatedData = (string?)null }),
            400, "BadRequest", DecryptionFailed);
    }

    [Fact]
    public async Task Aad_EmptyNullAndAbsent_AreAllNoAssociatedDataAsync()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("aad-none")))["id"]!;
        byte[] plaintext = Encoding.UTF8.GetBytes("no aad");
        string withEmpty = await EncryptAsync(Admin, keyId, plaintext, "");
        string withNull = (string)(await ApiAssert.OkAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt",
            new { plaintext = Convert.ToBase64String(plaintext), associatedData = (string?)null })))["ciphertext"]!;
        string without = await EncryptAsync(Admin, keyId, plaintext);

        foreach (string blob in new[] { withEmpty, withNull, without })
        {
            Assert.Equal(plaintext, await DecryptOkAsync(Admin, keyId, blob));
            Assert.Equal(plaintext, await DecryptOkAsync(Admin, keyId, blob, ""));
        }
    }

    [Fact]
    public async Task Aad_InvalidOrTooLong_Is422Async()
    {
        string keyId = (string)(await CreateKeyAsync(Admin, server.ProjectId, Name("aad-bad")))["id"]!;
        string tooLong = Convert.ToBase64String(new byte[8193]);

        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = HelloWorld, associatedData = "dGVuYW50" + "=" }),
            422, "ValidationFailure", "associatedData: associatedData must be base64 encoded");
        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/encrypt", new { plaintext = HelloWorld, associatedData = tooLong }),
            422, "ValidationFailure", "associatedData: associatedData cannot exceed 8192 bytes");
        await ApiAssert.ErrorAsync(await Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/rewrap", new { ciphertext = V01Aes256, associatedData = tooLong }),
            422, "ValidationFailure", "associatedData: associatedData cannot exceed 8192 bytes");
        Assert.Equal(Encoding.UTF8.GetBytes("max"), await DecryptOkAsync(Admin, keyId,
            await EncryptAsync(Admin, keyId, "max"u8.ToArray(), Convert.ToBase64String(new byte[8192])), Convert.ToBase64String(new byte[8192])));
    }

    [Fact]
    public async Task SpecVectors_ImportedKeyBytes_DecryptEverySection612BlobAsync()
    {
        string aes256 = await ImportKeyAsync(Admin, server.ProjectId, Name("vec256"), "aes-256-gcm", Bytes(0, 32));
        string aes128 = await ImportKeyAsync(Admin, server.ProjectId, Name("vec128"), "aes-128-gcm", Bytes(0, 16));
        string second = await ImportKeyAsync(Admin, server.ProjectId, Name("vec-v2"), "aes-256-gcm", Bytes(32, 32), keyUsage: "encrypt-decrypt");

        Assert.Equal(HelloWorld, Convert.ToBase64String(await DecryptOkAsync(Admin, aes256, V01WithAad, TenantAcme)));
        Assert.Equal(HelloWorld, Convert.ToBase64String(await DecryptOkAsync(Admin, aes256, V01Aes256)));
        Assert.Equal(HelloWorld, Convert.ToBase64String(await DecryptOkAsync(Admin, aes128, V01Aes128)));
        Assert.Empty(await DecryptOkAsync(Admin, aes256, V01Empty));

        // The v02 vector says "version 2"; the imported key has only version 1, which decrypts it (spec §6.4, §6.5).
        Assert.Equal(HelloWorld, Convert.ToBase64String(await DecryptOkAsync(Admin, second, V02Version2)));

        // Spec §6.12: the AAD vector without its AAD, and the plain vector with it, MUST fail.
        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, aes256, V01WithAad), 400, "BadRequest", DecryptionFailed);
        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, aes256, V01Aes256, TenantAcme), 400, "BadRequest", DecryptionFailed);
        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, aes128, V01Aes256), 400, "BadRequest", DecryptionFailed);
    }
}
