using System.Buffers.Binary;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>Encrypt (spec §7.7) and decrypt (§7.8): blob layout (§6.3), strict base64 and size limits (§1.4, §4.5), §2.5.</summary>
[Collection(KeyApiCollection.Name)]
public sealed class CryptoEndpointsTests(KeyApiFixture api)
{
    private const string Vector = "AAECAwQFBgcICQoLL2e6d6rFtXT/LfMFMBxWQ34jd7mO85YcJxkodjAx";

    private async Task<(HttpClient Admin, string KeyId)> AesKeyAsync(string algorithm = "aes-256-gcm")
    {
        HttpClient admin = await api.AdminClientAsync();
        return (admin, await api.CreateKeyIdAsync(await api.CreateProjectAsync(), algorithm: algorithm));
    }

    private static async Task<string?> DecryptAsync(HttpClient client, string keyId, object body) =>
        (string?)(await ApiAssert.OkAsync(await client.PostAsJsonAsync(KeyApi.Key(keyId) + "/decrypt", body)))["plaintext"];

    [Theory]
    [InlineData("aes-256-gcm", "hello world")]
    [InlineData("aes-128-gcm", "hello world")]
    [InlineData("aes-256-gcm", "")]
    public async Task Encrypt_Plaintext_ReturnsV01BlobThatDecrypts(string algorithm, string text)
    {
        (HttpClient admin, string keyId) = await AesKeyAsync(algorithm);
        string plaintext = KeyApi.B64(text);
        string first = await admin.EncryptAsync(keyId, plaintext);
        string second = await admin.EncryptAsync(keyId, plaintext);
        byte[] a = Convert.FromBase64String(first);
        byte[] b = Convert.FromBase64String(second);
        Assert.Equal(text.Length + 31, a.Length);
        Assert.Equal("v01"u8.ToArray(), a[^3..]);
        Assert.NotEqual(a[..12], b[..12]);
        Assert.NotEqual(first, second);
        Assert.Equal(plaintext, await DecryptAsync(admin, keyId, new { ciphertext = first }));
        Assert.Equal(plaintext, await DecryptAsync(admin, keyId, new { ciphertext = second, associatedData = "" }));
    }

    [Fact]
    public async Task Encrypt_KeyIdInBody_IsIgnored()
    {
        (HttpClient admin, string keyId) = await AesKeyAsync();
        string otherKeyId = await api.CreateKeyIdAsync(await api.CreateProjectAsync());
        JsonObject body = await ApiAssert.OkAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/encrypt", new { keyId = otherKeyId, plaintext = "aGk=" }));
        string ciphertext = (string)body["ciphertext"]!;
        Assert.Equal("aGk=", await DecryptAsync(admin, keyId, new { keyId = otherKeyId, ciphertext }));
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(KeyApi.Key(otherKeyId) + "/decrypt", new { ciphertext }), 400, "BadRequest", KeyApi.DecryptionFailed);
    }

    [Fact]
    public async Task Encrypt_NonCanonicalPadding_AcceptedAndEmittedCanonically()
    {
        (HttpClient admin, string keyId) = await AesKeyAsync();
        string ciphertext = await admin.EncryptAsync(keyId, "QR==");
        Assert.Equal(32, Convert.FromBase64String(ciphertext).Length);
        Assert.Equal("QQ==", await DecryptAsync(admin, keyId, new { ciphertext }));
    }

    [Fact]
    public async Task EncryptDecrypt_ExactlyOneMebibyte_RoundTrips()
    {
        (HttpClient admin, string keyId) = await AesKeyAsync();
        byte[] data = new byte[1_048_576];
        Random.Shared.NextBytes(data);
        string plaintext = Convert.ToBase64String(data);
        string ciphertext = await admin.EncryptAsync(keyId, plaintext);
        Assert.Equal(1_048_576 + 31, Convert.FromBase64String(ciphertext).Length);
        Assert.Equal(plaintext, await DecryptAsync(admin, keyId, new { ciphertext }));
    }

    [Fact]
    public async Task Crypto_ValuesAtTheirSizeLimits_AreAccepted()
    {
        (HttpClient admin, string keyId) = await AesKeyAsync();
        string aad = Convert.ToBase64String(new byte[8192]);
        JsonObject body = await ApiAssert.OkAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/encrypt", new { plaintext = "", associatedData = aad }));
        Assert.Equal("", await DecryptAsync(admin, keyId, new { ciphertext = (string)body["ciphertext"]!, associatedData = aad }));
        byte[] largest = new byte[1_049_600];
        "v01"u8.CopyTo(largest.AsSpan(largest.Length - 3));
        HttpResponseMessage decrypt = await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/decrypt", new { ciphertext = Convert.ToBase64String(largest) });
        await ApiAssert.ErrorAsync(decrypt, 400, "BadRequest", KeyApi.DecryptionFailed);
        await ApiAssert.ErrorAsync(await admin.PostAsync(KeyApi.Key(keyId) + "/encrypt", null), 422, "ValidationFailure", "plaintext: Required");
    }

    public static TheoryData<string, string, string> InvalidBodies => new()
    {
        { "encrypt", "{}", "plaintext: Required" },
        { "encrypt", """{"plaintext":null}""", "plaintext: Required" },
        { "encrypt", """{"plaintext":12}""", "plaintext: Expected string, received number" },
        { "encrypt", """{"plaintext":"aGVsbG8gd29ybGQ"}""", "plaintext: plaintext must be base64 encoded" },
        { "encrypt", """{"plaintext":"aGVs bG8="}""", "plaintext: plaintext must be base64 encoded" },
        { "encrypt", """{"plaintext":"aGVsbG8g\nd29ybGQ="}""", "plaintext: plaintext must be base64 encoded" },
        { "encrypt", """{"plaintext":" aGk="}""", "plaintext: plaintext must be base64 encoded" },
        { "encrypt", """{"plaintext":"-_8="}""", "plaintext: plaintext must be base64 encoded" },
        { "encrypt", """{"plaintext":"a==="}""", "plaintext: plaintext must be base64 encoded" },
        { "encrypt", """{"plaintext":"aG=k"}""", "plaintext: plaintext must be base64 encoded" },
        { "encrypt", """{"plaintext":"===="}""", "plaintext: plaintext must be base64 encoded" },
        { "encrypt", """{"plaintext":"aGk=aGk="}""", "plaintext: plaintext must be base64 encoded" },
        { "encrypt", """{"plaintext":"aGk=\t"}""", "plaintext: plaintext must be base64 encoded" },
        { "encrypt", """{"plaintext":"aGk=","associatedData":"a b="}""", "associatedData: associatedData must be base64 encoded" },
        { "encrypt", """{"plaintext":"!","associatedData":"Zm9v\r\n"}""", "plaintext: plaintext must be base64 encoded; associatedData: associatedData must be base64 encoded" },
        { "decrypt", "{}", "ciphertext: Required" },
        { "decrypt", """{"ciphertext":"AAEC_w=="}""", "ciphertext: ciphertext must be base64 encoded" },
        { "decrypt", """{"ciphertext":true}""", "ciphertext: Expected string, received boolean" },
        { "decrypt", """{"ciphertext":"aGk=","associatedData":"aGk"}""", "associatedData: associatedData must be base64 encoded" },
    };

    [Theory]
    [InlineData("encrypt", "plaintext", 1_048_577, "plaintext: plaintext cannot exceed 1048576 bytes")]
    [InlineData("encrypt", "associatedData", 8_193, "plaintext: Required; associatedData: associatedData cannot exceed 8192 bytes")]
    [InlineData("decrypt", "ciphertext", 1_049_601, "ciphertext: ciphertext cannot exceed 1049600 bytes")]
    [InlineData("decrypt", "associatedData", 8_193, "ciphertext: Required; associatedData: associatedData cannot exceed 8192 bytes")]
    public async Task Crypto_FieldOverSizeLimit_Returns422(string route, string field, int bytes, string message)
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = await api.SharedAesKeyIdAsync();
        var body = new JsonObject { [field] = Convert.ToBase64String(new byte[bytes]) };
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync($"{KeyApi.Key(keyId)}/{route}", body), 422, "ValidationFailure", message);
    }

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Crypto_InvalidBody_Returns422(string route, string json, string message)
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = await api.SharedAesKeyIdAsync();
        await ApiAssert.ErrorAsync(await admin.PostRawAsync($"{KeyApi.Key(keyId)}/{route}", json), 422, "ValidationFailure", message);
    }

    [Theory]
    [InlineData("encrypt", "keyId: Invalid uuid; plaintext: Required")]
    [InlineData("decrypt", "keyId: Invalid uuid; ciphertext: Required")]
    public async Task Crypto_KeyIdNotUuid_Returns422PathFirst(string route, string message)
    {
        HttpClient admin = await api.AdminClientAsync();
        await ApiAssert.ErrorAsync(await admin.PostRawAsync($"{KeyApi.Keys}/12345/{route}", "{}"), 422, "ValidationFailure", message);
    }

    [Theory]
    [InlineData("encrypt", """{"plaintext":"aGk="}""")]
    [InlineData("decrypt", """{"ciphertext":"aGk="}""")]
    public async Task Crypto_UnknownKey_Returns404AfterValidation(string route, string json)
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = Guid.NewGuid().ToString().ToUpperInvariant();
        await ApiAssert.ErrorAsync(await admin.PostRawAsync($"{KeyApi.Key(keyId)}/{route}", json), 404, "NotFound", $"Key with ID \"{keyId}\" not found");
        await ApiAssert.ErrorAsync(await admin.PostRawAsync($"{KeyApi.Key(keyId)}/{route}", "{}"), 422, "ValidationFailure", route == "encrypt" ? "plaintext: Required" : "ciphertext: Required");
    }

    [Theory]
    [InlineData("sign-verify", "ECC_NIST_P256", "encrypt")]
    [InlineData("sign-verify", "ECC_NIST_P256", "decrypt")]
    [InlineData("generate-verify-mac", "HMAC_SHA_256", "encrypt")]
    [InlineData("generate-verify-mac", "HMAC_SHA_384", "decrypt")]
    public async Task Crypto_WrongKeyUsage_Returns400(string keyUsage, string algorithm, string route)
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = await api.CreateKeyIdAsync(await api.CreateProjectAsync(), keyUsage, algorithm);
        object body = route == "encrypt" ? new { plaintext = "aGk=" } : new { ciphertext = Vector };
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync($"{KeyApi.Key(keyId)}/{route}", body), 400, "BadRequest",
            $"Unsupported key type, expected encrypt-decrypt but got {keyUsage}");
        await admin.DisableAsync(keyId);
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync($"{KeyApi.Key(keyId)}/{route}", body), 400, "BadRequest", "Key is disabled");
    }

    public static TheoryData<string> Tamperings => new() { "iv", "ciphertext", "tag", "suffix-v00", "suffix-v02", "truncated", "short", "empty", "extended", "other-key", "vector" };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Decrypt_AlteredOrForeignBlob_ReturnsGenericError(string tampering)
    {
        (HttpClient admin, string keyId) = await AesKeyAsync();
        string otherKeyId = await api.CreateKeyIdAsync(await api.CreateProjectAsync());
        byte[] blob = Convert.FromBase64String(await admin.EncryptAsync(keyId, KeyApi.B64("attack at dawn")));
        byte[] altered = tampering switch
        {
            "iv" => Flip(blob, 0),
            "ciphertext" => Flip(blob, 13),
            "tag" => Flip(blob, blob.Length - 4),
            "suffix-v00" => Flip(blob, blob.Length - 1),
            "suffix-v02" => [.. blob[..^3], .. "v02"u8],
            "truncated" => [.. blob[..^4], .. "v01"u8],
            "short" => [.. new byte[27], .. "v01"u8],
            "empty" => [],
            "extended" => [.. blob[..^3], 0, .. "v01"u8],
            "other-key" => Convert.FromBase64String(await admin.EncryptAsync(otherKeyId, KeyApi.B64("attack at dawn"))),
            _ => Convert.FromBase64String(Vector),
        };
        HttpResponseMessage response = await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/decrypt", new { ciphertext = Convert.ToBase64String(altered) });
        await ApiAssert.ErrorAsync(response, 400, "BadRequest", KeyApi.DecryptionFailed);
    }

    [Fact]
    public async Task Decrypt_AssociatedData_MustMatchExactly()
    {
        (HttpClient admin, string keyId) = await AesKeyAsync();
        string aad = KeyApi.B64("tenant=acme");
        JsonObject body = await ApiAssert.OkAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/encrypt", new { plaintext = KeyApi.B64("hello world"), associatedData = aad }));
        string ciphertext = (string)body["ciphertext"]!;
        Assert.Equal(11 + 31, Convert.FromBase64String(ciphertext).Length);
        Assert.Equal(KeyApi.B64("hello world"), await DecryptAsync(admin, keyId, new { ciphertext, associatedData = aad }));
        foreach (object wrong in new object[] { new { ciphertext }, new { ciphertext, associatedData = "" }, new { ciphertext, associatedData = KeyApi.B64("tenant=acmf") } })
        {
            await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/decrypt", wrong), 400, "BadRequest", KeyApi.DecryptionFailed);
        }
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(7u)]
    [InlineData(0u)]
    [InlineData(uint.MaxValue)]
    public async Task Decrypt_V02LayoutOfSamePayload_DecryptsWithCurrentVersion(uint embeddedVersion)
    {
        (HttpClient admin, string keyId) = await AesKeyAsync();
        byte[] v01 = Convert.FromBase64String(await admin.EncryptAsync(keyId, KeyApi.B64("hello world")));
        byte[] version = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(version, embeddedVersion);
        byte[] v02 = [.. v01[..^3], .. version, .. "v02"u8];
        Assert.Equal(KeyApi.B64("hello world"), await DecryptAsync(admin, keyId, new { ciphertext = Convert.ToBase64String(v02) }));
        byte[] tooShort = [.. new byte[31], .. "v02"u8];
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/decrypt", new { ciphertext = Convert.ToBase64String(tooShort) }),
            400, "BadRequest", KeyApi.DecryptionFailed);
    }

    private static byte[] Flip(byte[] blob, int index)
    {
        byte[] copy = (byte[])blob.Clone();
        copy[index] ^= 0x01;
        return copy;
    }
}
