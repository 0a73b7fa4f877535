using System.Formats.Asn1;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>
/// Sign (spec §7.11) and verify (§7.12) for every signing algorithm, with signatures checked outside the
/// server against the returned SPKI public key (§6.7–§6.9).
/// </summary>
[Collection(KeyApiCollection.Name)]
public sealed class SigningEndpointsTests(KeyApiFixture api)
{
    private static readonly byte[] Message = "release 1.2.3 manifest"u8.ToArray();

    private async Task<(HttpClient Admin, string KeyId, byte[] PublicKey)> SigningKeyAsync(string algorithm)
    {
        HttpClient admin = await api.AdminClientAsync();
        string keyId = algorithm == "RSA_4096"
            ? (string)(await api.RsaKeyAsync())["id"]!
            : await api.CreateKeyIdAsync(await api.CreateProjectAsync(), "sign-verify", algorithm);
        JsonObject body = await ApiAssert.OkAsync(await admin.GetAsync(KeyApi.Key(keyId) + "/public-key"));
        return (admin, keyId, Convert.FromBase64String((string)body["publicKey"]!));
    }

    private static async Task<bool> ServerVerifyAsync(HttpClient client, string keyId, string algorithm, byte[] data, byte[] signature, bool isDigest = false)
    {
        HttpResponseMessage response = await client.PostAsJsonAsync(KeyApi.Key(keyId) + "/verify", new
        {
            signingAlgorithm = algorithm, data = Convert.ToBase64String(data), signature = Convert.ToBase64String(signature), isDigest,
        });
        JsonObject body = await ApiAssert.OkAsync(response);
        Assert.Equal(keyId.ToLowerInvariant(), (string?)body["keyId"]);
        Assert.Equal(algorithm, (string?)body["signingAlgorithm"]);
        return (bool)body["signatureValid"]!;
    }

    [Fact]
    public async Task Create_SignVerifyWithoutAlgorithm_DefaultsToRsa4096()
    {
        JsonObject key = await api.RsaKeyAsync();
        Assert.Equal("sign-verify", (string?)key["keyUsage"]);
        Assert.Equal("RSA_4096", (string?)key["algorithm"]);
        Assert.Equal("RSA_4096", (string?)key["encryptionAlgorithm"]);
        Assert.False(key.ContainsKey("rotation"));
    }

    [Theory]
    [InlineData("RSA_4096", "RSASSA_PSS_SHA_512")]
    [InlineData("RSA_4096", "RSASSA_PSS_SHA_384")]
    [InlineData("RSA_4096", "RSASSA_PSS_SHA_256")]
    [InlineData("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512")]
    [InlineData("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_384")]
    [InlineData("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_256")]
    [InlineData("ECC_NIST_P256", "ECDSA_SHA_512")]
    [InlineData("ECC_NIST_P256", "ECDSA_SHA_256")]
    [InlineData("ECC_NIST_P384", "ECDSA_SHA_384")]
    [InlineData("ECC_NIST_P384", "ECDSA_SHA_256")]
    [InlineData("ECC_NIST_P521", "ECDSA_SHA_512")]
    [InlineData("ECC_NIST_P521", "ECDSA_SHA_256")]
    public async Task Sign_Message_VerifiesOutsideAndOnServer(string keyAlgorithm, string algorithm)
    {
        // Arrange
        (HttpClient admin, string keyId, byte[] spki) = await SigningKeyAsync(keyAlgorithm);
        string upperId = keyId.ToUpperInvariant();

        // Act
        HttpResponseMessage response = await admin.PostAsJsonAsync(KeyApi.Key(upperId) + "/sign",
            new { keyId = Guid.NewGuid(), signingAlgorithm = algorithm, data = Convert.ToBase64String(Message) });

        // Assert
        JsonObject body = await ApiAssert.OkAsync(response);
        Assert.Equal(keyId, (string?)body["keyId"]);
        Assert.Equal(algorithm, (string?)body["signingAlgorithm"]);
        byte[] signature = Convert.FromBase64String((string)body["signature"]!);
        Assert.True(VerifyOutside(spki, algorithm, Message, signature), "signature rejected by .NET");
        Assert.True(await ServerVerifyAsync(admin, upperId, algorithm, Message, signature));
        Assert.False(await ServerVerifyAsync(admin, keyId, algorithm, [.. Message, 0], signature));
        if (algorithm.StartsWith("RSA", StringComparison.Ordinal))
        {
            Assert.Equal(512, signature.Length);
            byte[] again = Convert.FromBase64String(await admin.SignAsync(keyId, algorithm, Convert.ToBase64String(Message)));
            Assert.Equal(algorithm.Contains("PKCS1", StringComparison.Ordinal), signature.SequenceEqual(again));
        }
        else
        {
            Assert.Equal(0x30, signature[0]);
        }
    }

    [Theory]
    [InlineData("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512")]
    [InlineData("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_384")]
    [InlineData("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_256")]
    [InlineData("ECC_NIST_P256", "ECDSA_SHA_256")]
    [InlineData("ECC_NIST_P256", "ECDSA_SHA_384")]
    [InlineData("ECC_NIST_P521", "ECDSA_SHA_512")]
    public async Task Sign_Digest_VerifiesAgainstMessage(string keyAlgorithm, string algorithm)
    {
        (HttpClient admin, string keyId, byte[] spki) = await SigningKeyAsync(keyAlgorithm);
        byte[] digest = Hash(algorithm, Message);
        JsonObject body = await ApiAssert.OkAsync(await admin.PostAsJsonAsync(KeyApi.Key(keyId) + "/sign",
            new { signingAlgorithm = algorithm, data = Convert.ToBase64String(digest), isDigest = true }));
        byte[] signature = Convert.FromBase64String((string)body["signature"]!);
        Assert.True(VerifyOutside(spki, algorithm, Message, signature), "digest signature rejected by .NET");
        Assert.True(await ServerVerifyAsync(admin, keyId, algorithm, Message, signature));
        Assert.True(await ServerVerifyAsync(admin, keyId, algorithm, digest, signature, isDigest: true));
        Assert.False(await ServerVerifyAsync(admin, keyId, algorithm, digest[..^1], signature, isDigest: true));
        Assert.False(await ServerVerifyAsync(admin, keyId, algorithm, [.. digest, 0], signature, isDigest: true));
    }

    public static TheoryData<string> Malformations => new() { "empty", "flipped", "truncated", "trailing", "p1363", "other-data", "zeros" };

    [Theory]
    [MemberData(nameof(Malformations))]
    public async Task Verify_MalformedEcdsaSignature_ReturnsFalse(string malformation)
    {
        (HttpClient admin, string keyId, byte[] spki) = await SigningKeyAsync("ECC_NIST_P256");
        byte[] der = Convert.FromBase64String(await admin.SignAsync(keyId, "ECDSA_SHA_256", Convert.ToBase64String(Message)));
        byte[] bad = malformation switch
        {
            "empty" => [],
            "flipped" => [.. der[..^1], (byte)(der[^1] ^ 1)],
            "truncated" => der[..^1],
            "trailing" => [.. der, 0],
            "p1363" => ToP1363(der, 32),
            "other-data" => Convert.FromBase64String(await admin.SignAsync(keyId, "ECDSA_SHA_256", "b3RoZXI=")),
            _ => new byte[64],
        };
        if (malformation == "p1363")
        {
            using ECDsa ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(spki, out _);
            Assert.True(ecdsa.VerifyData(Message, bad, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        }

        Assert.False(await ServerVerifyAsync(admin, keyId, "ECDSA_SHA_256", Message, bad));
    }

    [Theory]
    [InlineData("RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256")]
    [InlineData("RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PSS_SHA_256")]
    [InlineData("RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_512")]
    [InlineData("RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512")]
    public async Task Verify_RsaSignatureUnderOtherAlgorithm_ReturnsFalse(string signedWith, string verifiedWith)
    {
        (HttpClient admin, string keyId, _) = await SigningKeyAsync("RSA_4096");
        byte[] signature = Convert.FromBase64String(await admin.SignAsync(keyId, signedWith, Convert.ToBase64String(Message)));
        Assert.False(await ServerVerifyAsync(admin, keyId, verifiedWith, Message, signature));
        Assert.False(await ServerVerifyAsync(admin, keyId, signedWith, Message, signature[..^1]));
        Assert.False(await ServerVerifyAsync(admin, keyId, signedWith, Message, new byte[512]));
    }

    [Fact]
    public async Task Verify_SignatureOfAnotherKey_ReturnsFalse()
    {
        (HttpClient admin, string keyId, _) = await SigningKeyAsync("ECC_NIST_P256");
        (_, string otherId, _) = await SigningKeyAsync("ECC_NIST_P256");
        byte[] signature = Convert.FromBase64String(await admin.SignAsync(otherId, "ECDSA_SHA_256", Convert.ToBase64String(Message)));
        Assert.False(await ServerVerifyAsync(admin, keyId, "ECDSA_SHA_256", Message, signature));
    }

    private static bool VerifyOutside(byte[] spki, string algorithm, byte[] data, byte[] signature)
    {
        HashAlgorithmName hash = HashName(algorithm);
        if (algorithm.StartsWith("ECDSA", StringComparison.Ordinal))
        {
            using ECDsa ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(spki, out _);
            return ecdsa.VerifyData(data, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
        }

        using RSA rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(spki, out _);
        // .NET's PSS uses MGF1 with the same hash and requires salt length = hash length, as spec §6.7 does.
        return rsa.VerifyData(data, signature, hash, algorithm.Contains("PSS", StringComparison.Ordinal) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
    }

    private static HashAlgorithmName HashName(string algorithm) => algorithm[^3..] switch
    {
        "512" => HashAlgorithmName.SHA512,
        "384" => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA256,
    };

    private static byte[] Hash(string algorithm, byte[] data) => algorithm[^3..] switch
    {
        "512" => SHA512.HashData(data),
        "384" => SHA384.HashData(data),
        _ => SHA256.HashData(data),
    };

    /// <summary>The same (r, s) in the fixed-width r‖s form that spec §6.7 rules out.</summary>
    private static byte[] ToP1363(byte[] der, int size)
    {
        AsnReader sequence = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        byte[] result = new byte[2 * size];
        for (int i = 0; i < 2; i++)
        {
            ReadOnlySpan<byte> value = sequence.ReadIntegerBytes().Span.TrimStart((byte)0);
            value.CopyTo(result.AsSpan(((i + 1) * size) - value.Length));
        }

        return result;
    }
}
