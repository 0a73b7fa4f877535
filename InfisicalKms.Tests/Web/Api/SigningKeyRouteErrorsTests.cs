using System.Formats.Asn1;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>Public key (spec §7.9), signing algorithms (§7.10) and every error row of sign/verify (§7.11, §7.12, §6.8).</summary>
[Collection(KeyApiCollection.Name)]
public sealed class SigningKeyRouteErrorsTests(KeyApiFixture api)
{
    private const string SigningAlgorithms =
        "'RSASSA_PSS_SHA_512' | 'RSASSA_PSS_SHA_384' | 'RSASSA_PSS_SHA_256' | 'RSASSA_PKCS1_V1_5_SHA_512' | 'RSASSA_PKCS1_V1_5_SHA_384' | 'RSASSA_PKCS1_V1_5_SHA_256' | 'ECDSA_SHA_512' | 'ECDSA_SHA_384' | 'ECDSA_SHA_256'";

    private async Task<string> KeyIdAsync(string algorithm) => algorithm == "RSA_4096"
        ? (string)(await api.RsaKeyAsync())["id"]!
        : await api.CreateKeyIdAsync(await api.CreateProjectAsync(), algorithm[..3] switch { "ECC" => "sign-verify", "HMA" => "generate-verify-mac", _ => null }, algorithm);

    [Theory]
    [InlineData("RSA_4096", "1.2.840.113549.1.1.1", null, 0)]
    [InlineData("ECC_NIST_P256", "1.2.840.10045.2.1", "1.2.840.10045.3.1.7", 32)]
    [InlineData("ECC_NIST_P384", "1.2.840.10045.2.1", "1.3.132.0.34", 48)]
    [InlineData("ECC_NIST_P521", "1.2.840.10045.2.1", "1.3.132.0.35", 66)]
    public async Task PublicKey_SignVerifyKey_ReturnsSpkiDer(string algorithm, string algorithmOid, string? curveOid, int coordinateSize)
    {
        HttpClient admin = await api.AdminClientAsync();
        JsonObject body = await ApiAssert.OkAsync(await admin.GetAsync(KeyApi.Key(await KeyIdAsync(algorithm)) + "/public-key"));
        byte[] spki = Convert.FromBase64String((string)body["publicKey"]!);
        Assert.Equal((string)body["publicKey"]!, Convert.ToBase64String(spki));
        AsnReader outer = new AsnReader(spki, AsnEncodingRules.DER).ReadSequence();
        AsnReader identifier = outer.ReadSequence();
        Assert.Equal(algorithmOid, identifier.ReadObjectIdentifier());
        if (curveOid is null)
        {
            identifier.ReadNull();
            using RSA rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(spki, out int read);
            Assert.Equal(spki.Length, read);
            Assert.Equal(4096, rsa.KeySize);
            Assert.Equal([1, 0, 1], rsa.ExportParameters(false).Exponent!);
        }
        else
        {
            Assert.Equal(curveOid, identifier.ReadObjectIdentifier());
            byte[] point = outer.ReadBitString(out int unused);
            Assert.Equal(0, unused);
            Assert.Equal(1 + (2 * coordinateSize), point.Length);
            Assert.Equal(0x04, point[0]);
        }
    }

    [Theory]
    [InlineData("RSA_4096", new[] { "RSASSA_PSS_SHA_512", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_256" })]
    [InlineData("ECC_NIST_P256", new[] { "ECDSA_SHA_512", "ECDSA_SHA_384", "ECDSA_SHA_256" })]
    [InlineData("ECC_NIST_P521", new[] { "ECDSA_SHA_512", "ECDSA_SHA_384", "ECDSA_SHA_256" })]
    public async Task SigningAlgorithms_SignVerifyKey_ListsAlgorithmsInOrder(string algorithm, string[] expected)
    {
        HttpClient admin = await api.AdminClientAsync();
        JsonObject body = await ApiAssert.OkAsync(await admin.GetAsync(KeyApi.Key(await KeyIdAsync(algorithm)) + "/signing-algorithms"));
        Assert.Equal(expected, body["signingAlgorithms"]!.AsArray().Select(a => (string)a!));
    }

    [Theory]
    [InlineData("aes-256-gcm", "encrypt-decrypt")]
    [InlineData("HMAC_SHA_256", "generate-verify-mac")]
    public async Task KeyRoutes_KeyNotForSigning_Return400(string algorithm, string usage)
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = (await KeyIdAsync(algorithm)).ToUpperInvariant();
        string unsupported = $"Unsupported key type, expected sign-verify but got {usage}";
        await ApiAssert.ErrorAsync(await admin.GetAsync(KeyApi.Key(keyId) + "/signing-algorithms"), 400, "BadRequest", $"Key with ID '{keyId}' is not intended for signing");
        await ApiAssert.ErrorAsync(await admin.GetAsync(KeyApi.Key(keyId) + "/public-key"), 400, "BadRequest", unsupported);
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/sign", new { signingAlgorithm = "ECDSA_SHA_256", data = "aGk=" }), 400, "BadRequest", unsupported);
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/verify", new { signingAlgorithm = "ECDSA_SHA_256", data = "aGk=", signature = "aGk=" }), 400, "BadRequest", unsupported);
        await admin.DisableAsync(keyId);
        await ApiAssert.ErrorAsync(await admin.GetAsync(KeyApi.Key(keyId) + "/signing-algorithms"), 400, "BadRequest", "Key is disabled");
        await ApiAssert.ErrorAsync(await admin.GetAsync(KeyApi.Key(keyId) + "/public-key"), 400, "BadRequest", "Key is disabled");
    }

    [Fact]
    public async Task KeyRoutes_DisabledSigningKey_Return400KeyIsDisabled()
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = await KeyIdAsync("ECC_NIST_P256");
        string signature = await admin.SignAsync(keyId, "ECDSA_SHA_256", "aGk=");
        await admin.DisableAsync(keyId);
        await ApiAssert.ErrorAsync(await admin.GetAsync(KeyApi.Key(keyId) + "/public-key"), 400, "BadRequest", "Key is disabled");
        await ApiAssert.ErrorAsync(await admin.GetAsync(KeyApi.Key(keyId) + "/signing-algorithms"), 400, "BadRequest", "Key is disabled");
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/sign", new { signingAlgorithm = "RSASSA_PSS_SHA_256", data = "aGk=" }), 400, "BadRequest", "Key is disabled");
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/verify", new { signingAlgorithm = "ECDSA_SHA_256", data = "aGk=", signature }), 400, "BadRequest", "Key is disabled");
    }

    [Theory]
    [InlineData("RSA_4096", "ECDSA_SHA_256", false, 5, "KMS RSA key cannot be used with ECDSA_SHA_256")]
    [InlineData("RSA_4096", "ECDSA_SHA_512", true, 64, "KMS RSA key cannot be used with ECDSA_SHA_512")]
    [InlineData("ECC_NIST_P256", "RSASSA_PSS_SHA_256", false, 5, "KMS ECC key cannot be used with RSASSA_PSS_SHA_256")]
    [InlineData("ECC_NIST_P384", "RSASSA_PKCS1_V1_5_SHA_384", true, 3, "KMS ECC key cannot be used with RSASSA_PKCS1_V1_5_SHA_384")]
    [InlineData("ECC_NIST_P256", "RSASSA_PSS_SHA_512", true, 64, "KMS ECC key cannot be used with RSASSA_PSS_SHA_512")]
    [InlineData("RSA_4096", "RSASSA_PSS_SHA_256", true, 32, "RSA PSS does not support digested input")]
    [InlineData("RSA_4096", "RSASSA_PSS_SHA_512", true, 7, "RSA PSS does not support digested input")]
    [InlineData("RSA_4096", "RSASSA_PSS_SHA_384", true, 48, "RSA PSS does not support digested input")]
    public async Task SignAndVerify_IncompatibleRequest_Return400(string keyAlgorithm, string algorithm, bool isDigest, int dataLength, string message)
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = await KeyIdAsync(keyAlgorithm);
        string data = Convert.ToBase64String(new byte[dataLength]);
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/sign", new { signingAlgorithm = algorithm, data, isDigest }), 400, "BadRequest", message);
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/verify",
            new { signingAlgorithm = algorithm, data, signature = Convert.ToBase64String(new byte[512]), isDigest }), 400, "BadRequest", message);
    }

    [Theory]
    [InlineData("ECC_NIST_P256", "ECDSA_SHA_384", 32, "Failed to sign ECC digest with ECDSA_SHA_384 due to signing error. Ensure that your digest is hashed with SHA384.")]
    [InlineData("ECC_NIST_P521", "ECDSA_SHA_256", 0, "Failed to sign ECC digest with ECDSA_SHA_256 due to signing error. Ensure that your digest is hashed with SHA256.")]
    [InlineData("ECC_NIST_P256", "ECDSA_SHA_512", 65, "Failed to sign ECC digest with ECDSA_SHA_512 due to signing error. Ensure that your digest is hashed with SHA512.")]
    [InlineData("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512", 32, "Failed to sign RSA digest with RSASSA_PKCS1_V1_5_SHA_512 due to signing error. Ensure that your digest is hashed with SHA512.")]
    [InlineData("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_256", 33, "Failed to sign RSA digest with RSASSA_PKCS1_V1_5_SHA_256 due to signing error. Ensure that your digest is hashed with SHA256.")]
    public async Task Sign_DigestOfWrongLength_Returns400AndVerifyReturnsFalse(string keyAlgorithm, string algorithm, int length, string message)
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = await KeyIdAsync(keyAlgorithm);
        string data = Convert.ToBase64String(new byte[length]);
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/sign", new { signingAlgorithm = algorithm, data, isDigest = true }), 400, "BadRequest", message);
        JsonObject verify = await ApiAssert.OkAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/verify",
            new { signingAlgorithm = algorithm, data, signature = await admin.SignAsync(keyId, algorithm, data), isDigest = true }));
        Assert.False((bool)verify["signatureValid"]!);
    }

    public static TheoryData<string, string, string> InvalidBodies => new()
    {
        { "sign", "{}", "signingAlgorithm: Required; data: Required" },
        { "verify", "{}", "signingAlgorithm: Required; data: Required; signature: Required" },
        { "sign", """{"signingAlgorithm":"ECDSA_SHA256","data":"aGk="}""", $"signingAlgorithm: Invalid enum value. Expected {SigningAlgorithms}, received 'ECDSA_SHA256'" },
        { "verify", """{"signingAlgorithm":"ecdsa_sha_256","data":"aGk=","signature":"aGk="}""", $"signingAlgorithm: Invalid enum value. Expected {SigningAlgorithms}, received 'ecdsa_sha_256'" },
        { "sign", """{"signingAlgorithm":9,"data":"aGk="}""", "signingAlgorithm: Expected string, received number" },
        { "sign", """{"signingAlgorithm":"ECDSA_SHA_256","data":"aGk"}""", "data: data must be base64 encoded" },
        { "sign", """{"signingAlgorithm":"ECDSA_SHA_256","data":"aGk=","isDigest":"true"}""", "isDigest: Expected boolean, received string" },
        { "sign", """{"signingAlgorithm":"ECDSA_SHA_256","data":"aGk=","isDigest":1}""", "isDigest: Expected boolean, received number" },
        { "verify", """{"signingAlgorithm":"ECDSA_SHA_256","data":"aGk=","signature":"aGk=","isDigest":"false"}""", "isDigest: Expected boolean, received string" },
        { "verify", """{"signingAlgorithm":"ECDSA_SHA_256","data":"aGk=","signature":"MEU-"}""", "signature: signature must be base64 encoded" },
        { "verify", """{"signingAlgorithm":"ECDSA_SHA_256","data":" aGk=","signature":null}""", "data: data must be base64 encoded; signature: Required" },
        { "verify", """{"signingAlgorithm":"NOPE","data":"aGk=","signature":"aGk","isDigest":[]}""", $"signingAlgorithm: Invalid enum value. Expected {SigningAlgorithms}, received 'NOPE'; signature: signature must be base64 encoded; isDigest: Expected boolean, received array" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task SignAndVerify_InvalidBody_Returns422(string route, string json, string message)
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = await api.SharedEccKeyIdAsync();
        await ApiAssert.ErrorAsync(await admin.PostRawAsync($"{KeyApi.Key(keyId)}/{route}", json), 422, "ValidationFailure", message);
    }

    [Theory]
    [InlineData("sign", "data", 1_048_577, "data: data cannot exceed 1048576 bytes")]
    [InlineData("verify", "data", 1_048_577, "data: data cannot exceed 1048576 bytes")]
    [InlineData("verify", "signature", 8_193, "signature: signature cannot exceed 8192 bytes")]
    public async Task SignAndVerify_FieldOverSizeLimit_Returns422(string route, string field, int bytes, string message)
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = await api.SharedEccKeyIdAsync();
        var body = new JsonObject { ["signingAlgorithm"] = "ECDSA_SHA_256", ["data"] = "aGk=", ["signature"] = "aGk=" };
        body[field] = Convert.ToBase64String(new byte[bytes]);
        await ApiAssert.ErrorAsync(await admin.PostAsJsonAsync($"{KeyApi.Key(keyId)}/{route}", body), 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task SignAndVerify_ValuesAtTheirSizeLimits_AreAccepted()
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = await api.SharedEccKeyIdAsync();
        string data = Convert.ToBase64String(new byte[1_048_576]);
        string signature = await admin.SignAsync(keyId, "ECDSA_SHA_384", data);
        JsonObject valid = await ApiAssert.OkAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/verify", new { signingAlgorithm = "ECDSA_SHA_384", data, signature, isDigest = (bool?)null }));
        JsonObject invalid = await ApiAssert.OkAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/verify",
            new { signingAlgorithm = "ECDSA_SHA_384", data, signature = Convert.ToBase64String(new byte[8192]) }));
        Assert.True((bool)valid["signatureValid"]!);
        Assert.False((bool)invalid["signatureValid"]!);
    }

    [Theory]
    [InlineData("GET", "public-key")]
    [InlineData("GET", "signing-algorithms")]
    [InlineData("POST", "sign")]
    [InlineData("POST", "verify")]
    public async Task KeyRoutes_BadOrUnknownKeyId_Return422Or404(string method, string route)
    {
        HttpClient admin = await api.AdminClientAsync();
        string unknown = Guid.NewGuid().ToString();
        const string body = """{"signingAlgorithm":"ECDSA_SHA_256","data":"aGk=","signature":"aGk="}""";
        async Task<HttpResponseMessage> SendAsync(string keyId) => method == "GET"
            ? await admin.GetAsync($"{KeyApi.Key(keyId)}/{route}")
            : await admin.PostRawAsync($"{KeyApi.Key(keyId)}/{route}", body);
        await ApiAssert.ErrorAsync(await SendAsync("g" + unknown[1..]), 422, "ValidationFailure", "keyId: Invalid uuid");
        await ApiAssert.ErrorAsync(await SendAsync(unknown), 404, "NotFound", $"Key with ID \"{unknown}\" not found");
    }
}
