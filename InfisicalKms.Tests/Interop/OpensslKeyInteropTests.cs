using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using Microsoft.Data.Sqlite;
using static InfisicalKms.Tests.Web.Api.Lifecycle.LifecycleApi;

namespace InfisicalKms.Tests.Interop;

/// <summary>
/// Private keys made by <c>openssl genpkey</c> (RSA 4096, EC P-256; PKCS#8 PEM), bulk-imported into a running
/// server. Generated once per class: RSA-4096 generation costs seconds.
/// </summary>
public sealed class OpensslKeysFixture : IAsyncLifetime
{
    public KmsWebApplicationFactory Factory { get; } = new();

    public HttpClient Admin { get; private set; } = default!;

    public string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), "kms-openssl-" + Guid.NewGuid().ToString("N"));

    public string RsaKeyId { get; private set; } = "";

    public string EcKeyId { get; private set; } = "";

    public string RsaPem => Path.Combine(WorkDirectory, "rsa.pem");

    public string EcPem => Path.Combine(WorkDirectory, "ec.pem");

    public string RsaPublicPem => Path.Combine(WorkDirectory, "rsa.pub.pem");

    public string EcPublicPem => Path.Combine(WorkDirectory, "ec.pub.pem");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(WorkDirectory);
        Task rsa = ExternalTools.RunOkAsync("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096", "-out", RsaPem]);
        await ExternalTools.RunOkAsync("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", EcPem]);
        await ExternalTools.RunOkAsync("openssl", ["pkey", "-in", EcPem, "-pubout", "-out", EcPublicPem]);
        Admin = (await Factory.AdminAsync()).Client;
        string projectId = await CreateProjectAsync(Admin, "OpenSSL");
        EcKeyId = await ImportKeyAsync(Admin, projectId, "openssl-ec", "ECC_NIST_P256", File.ReadAllBytes(EcPem), keyUsage: "sign-verify", isExportable: true);
        await rsa;
        await ExternalTools.RunOkAsync("openssl", ["pkey", "-in", RsaPem, "-pubout", "-out", RsaPublicPem]);
        RsaKeyId = await ImportKeyAsync(Admin, projectId, "openssl-rsa", "RSA_4096", File.ReadAllBytes(RsaPem), keyUsage: "sign-verify", isExportable: true);
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp folder's own clean-up.
        }
    }
}

/// <summary>
/// Keys from OpenSSL sign here with every compatible algorithm, and OpenSSL verifies the signatures (and the
/// reverse); export returns exactly the imported key (spec §6.7, §6.9, §6.11, §7.15).
/// </summary>
public sealed class OpensslKeyInteropTests(OpensslKeysFixture keys) : IClassFixture<OpensslKeysFixture>
{
    private static readonly byte[] Message = Encoding.UTF8.GetBytes("signed by InfisicalKms, checked by OpenSSL");

    private static readonly string[] AllAlgorithms =
    [
        "RSASSA_PSS_SHA_512", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_256",
        "RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_256",
        "ECDSA_SHA_512", "ECDSA_SHA_384", "ECDSA_SHA_256",
    ];

    public static TheoryData<string> EveryAlgorithm => new(AllAlgorithms);

    [Theory]
    [MemberData(nameof(EveryAlgorithm))]
    public async Task Sign_ImportedOpensslKey_SignatureVerifiesWithOpensslDgstAsync(string algorithm)
    {
        bool rsa = algorithm.StartsWith("RSA", StringComparison.Ordinal);
        string keyId = rsa ? keys.RsaKeyId : keys.EcKeyId;
        JsonObject signed = await ApiAssert.OkAsync(await keys.Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/sign",
            new { signingAlgorithm = algorithm, data = Convert.ToBase64String(Message) }));
        byte[] signature = Convert.FromBase64String((string)signed["signature"]!);
        string data = Write($"{algorithm}.data", Message);
        string signatureFile = Write($"{algorithm}.sig", signature);
        string[] verify = ["dgst", $"-{Digest(algorithm)}", "-verify", rsa ? keys.RsaPublicPem : keys.EcPublicPem, .. PssOptions(algorithm), "-signature", signatureFile, data];

        string output = await ExternalTools.RunOkAsync("openssl", verify);

        Assert.Contains("Verified OK", output, StringComparison.Ordinal);
        if (rsa)
        {
            Assert.Equal(512, signature.Length);
        }

        // A different message must not verify: the check above is not vacuous.
        verify[^1] = Write($"{algorithm}.other", Encoding.UTF8.GetBytes("another message"));
        Assert.NotEqual(0, (await ExternalTools.RunAsync("openssl", verify)).ExitCode);
    }

    [Theory]
    [InlineData("RSASSA_PKCS1_V1_5_SHA_256")]
    [InlineData("RSASSA_PKCS1_V1_5_SHA_512")]
    [InlineData("ECDSA_SHA_256")]
    [InlineData("ECDSA_SHA_384")]
    public async Task Sign_DigestInput_VerifiesWithOpensslPkeyutlAsync(string algorithm)
    {
        bool rsa = algorithm.StartsWith("RSA", StringComparison.Ordinal);
        string keyId = rsa ? keys.RsaKeyId : keys.EcKeyId;
        byte[] digest = Digest(algorithm) switch
        {
            "sha256" => SHA256.HashData(Message),
            "sha384" => SHA384.HashData(Message),
            _ => SHA512.HashData(Message),
        };
        JsonObject signed = await ApiAssert.OkAsync(await keys.Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keyId}/sign",
            new { signingAlgorithm = algorithm, data = Convert.ToBase64String(digest), isDigest = true }));
        string signatureFile = Write($"{algorithm}.digest.sig", Convert.FromBase64String((string)signed["signature"]!));

        string output = await ExternalTools.RunOkAsync("openssl",
        [
            "pkeyutl", "-verify", "-pubin", "-inkey", rsa ? keys.RsaPublicPem : keys.EcPublicPem,
            "-in", Write($"{algorithm}.digest", digest), "-sigfile", signatureFile, "-pkeyopt", $"digest:{Digest(algorithm)}",
        ]);

        Assert.Contains("Signature Verified Successfully", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RSASSA_PSS_SHA_512")]
    [InlineData("RSASSA_PSS_SHA_256")]
    [InlineData("RSASSA_PKCS1_V1_5_SHA_384")]
    [InlineData("ECDSA_SHA_256")]
    [InlineData("ECDSA_SHA_512")]
    public async Task Verify_SignatureMadeByOpenssl_IsValidHereAsync(string algorithm)
    {
        bool rsa = algorithm.StartsWith("RSA", StringComparison.Ordinal);
        string data = Write($"{algorithm}.in", Message);
        string signatureFile = Path.Combine(keys.WorkDirectory, $"{algorithm}.openssl.sig");
        await ExternalTools.RunOkAsync("openssl",
            ["dgst", $"-{Digest(algorithm)}", "-sign", rsa ? keys.RsaPem : keys.EcPem, .. PssOptions(algorithm), "-out", signatureFile, data]);
        string signature = Convert.ToBase64String(await File.ReadAllBytesAsync(signatureFile));

        JsonObject verified = await ApiAssert.OkAsync(await keys.Admin.PostAsJsonAsync($"/api/v1/kms/keys/{(rsa ? keys.RsaKeyId : keys.EcKeyId)}/verify",
            new { signingAlgorithm = algorithm, data = Convert.ToBase64String(Message), signature }));
        JsonObject other = await ApiAssert.OkAsync(await keys.Admin.PostAsJsonAsync($"/api/v1/kms/keys/{(rsa ? keys.RsaKeyId : keys.EcKeyId)}/verify",
            new { signingAlgorithm = algorithm, data = Base64("tampered"), signature }));

        Assert.True((bool)verified["signatureValid"]!);
        Assert.False((bool)other["signatureValid"]!);
    }

    [Fact]
    public async Task SignBatch_ImportedRsaKey_SignaturesVerifyWithOpensslAndDigestPssIsRefusedAsync()
    {
        string digest = Convert.ToBase64String(SHA256.HashData(Message));
        var body = new JsonObject
        {
            ["items"] = new JsonArray(
                new JsonObject { ["data"] = Convert.ToBase64String(Message), ["signingAlgorithm"] = "RSASSA_PSS_SHA_384" },
                new JsonObject { ["data"] = digest, ["signingAlgorithm"] = "RSASSA_PSS_SHA_256", ["isDigest"] = true },
                new JsonObject { ["data"] = Convert.ToBase64String(Message), ["signingAlgorithm"] = "ECDSA_SHA_256" },
                new JsonObject { ["data"] = Convert.ToBase64String(Message), ["signingAlgorithm"] = "RSASSA_PKCS1_V1_5_SHA_512" }),
        };

        JsonArray items = (await ApiAssert.OkAsync(await keys.Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keys.RsaKeyId}/sign/batch", body)))["items"]!.AsArray();

        Assert.Equal("RSA PSS does not support digested input", (string?)items[1]!["error"]!["message"]);
        Assert.Equal(400, (int)items[1]!["error"]!["statusCode"]!);
        Assert.Equal("KMS RSA key cannot be used with ECDSA_SHA_256", (string?)items[2]!["error"]!["message"]);
        string data = Write("batch.data", Message);
        foreach ((int index, string algorithm) in new[] { (0, "RSASSA_PSS_SHA_384"), (3, "RSASSA_PKCS1_V1_5_SHA_512") })
        {
            Assert.Equal(algorithm, (string?)items[index]!["signingAlgorithm"]);
            string signature = Write($"batch-{index}.sig", Convert.FromBase64String((string)items[index]!["signature"]!));
            string output = await ExternalTools.RunOkAsync("openssl",
                ["dgst", $"-{Digest(algorithm)}", "-verify", keys.RsaPublicPem, .. PssOptions(algorithm), "-signature", signature, data]);
            Assert.Contains("Verified OK", output, StringComparison.Ordinal);
        }

        // verify/batch: PSS refuses digests there too; the PKCS#1 signature verifies; garbage is just false.
        var verifyBody = new JsonObject
        {
            ["items"] = new JsonArray(
                new JsonObject { ["data"] = digest, ["signature"] = (string)items[0]!["signature"]!, ["signingAlgorithm"] = "RSASSA_PSS_SHA_256", ["isDigest"] = true },
                new JsonObject { ["data"] = Convert.ToBase64String(Message), ["signature"] = (string)items[3]!["signature"]!, ["signingAlgorithm"] = "RSASSA_PKCS1_V1_5_SHA_512" },
                new JsonObject { ["data"] = Convert.ToBase64String(Message), ["signature"] = "AAAA", ["signingAlgorithm"] = "RSASSA_PSS_SHA_384" }),
        };
        JsonArray verified = (await ApiAssert.OkAsync(await keys.Admin.PostAsJsonAsync($"/api/v1/kms/keys/{keys.RsaKeyId}/verify/batch", verifyBody)))["items"]!.AsArray();
        Assert.Equal("RSA PSS does not support digested input", (string?)verified[0]!["error"]!["message"]);
        Assert.True((bool)verified[1]!["signatureValid"]!);
        Assert.False((bool)verified[2]!["signatureValid"]!);
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ec")]
    public async Task PublicKey_OfImportedKey_IsOpensslsSubjectPublicKeyInfoAsync(string which)
    {
        string keyId = which == "rsa" ? keys.RsaKeyId : keys.EcKeyId;
        string derFile = Path.Combine(keys.WorkDirectory, $"{which}.pub.der");
        await ExternalTools.RunOkAsync("openssl", ["pkey", "-in", which == "rsa" ? keys.RsaPem : keys.EcPem, "-pubout", "-outform", "DER", "-out", derFile]);

        JsonObject body = await ApiAssert.OkAsync(await keys.Admin.GetAsync($"/api/v1/kms/keys/{keyId}/public-key"));

        Assert.Equal(await File.ReadAllBytesAsync(derFile), Convert.FromBase64String((string)body["publicKey"]!));
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ec")]
    public async Task Export_ImportedOpensslKey_ReturnsTheImportedKeyAsCanonicalPemAsync(string which)
    {
        string keyId = which == "rsa" ? keys.RsaKeyId : keys.EcKeyId;
        string pemFile = which == "rsa" ? keys.RsaPem : keys.EcPem;
        string imported = await File.ReadAllTextAsync(pemFile);
        PemFields fields = PemEncoding.Find(imported);
        Assert.Equal("PRIVATE KEY", imported[fields.Label]);
        byte[] importedDer = Convert.FromBase64String(imported[fields.Base64Data].Replace("\n", "", StringComparison.Ordinal));

        string exported = Encoding.ASCII.GetString(Convert.FromBase64String(
            (string)(await ApiAssert.OkAsync(await keys.Admin.GetAsync($"/api/v1/kms/keys/{keyId}/private-key")))["privateKey"]!));

        byte[] der = ExportApiTests.AssertCanonicalPkcs8Pem(exported);
        Assert.Equal(importedDer, der);
        Assert.Equal(imported, exported);   // OpenSSL writes the same canonical PEM

        // And OpenSSL reads the export back as the same key.
        string roundTrip = await ExternalTools.RunOkAsync("openssl", ["pkey", "-in", Write($"{which}.exported.pem", Encoding.ASCII.GetBytes(exported)), "-pubout"]);
        Assert.Equal(await File.ReadAllTextAsync(which == "rsa" ? keys.RsaPublicPem : keys.EcPublicPem), roundTrip);
    }

    [Fact]
    public async Task SigningAlgorithms_OfImportedKeys_AreTheUsualListsAsync()
    {
        JsonObject rsa = await ApiAssert.OkAsync(await keys.Admin.GetAsync($"/api/v1/kms/keys/{keys.RsaKeyId}/signing-algorithms"));
        JsonObject ec = await ApiAssert.OkAsync(await keys.Admin.GetAsync($"/api/v1/kms/keys/{keys.EcKeyId}/signing-algorithms"));

        Assert.Equal(AllAlgorithms[..6], rsa["signingAlgorithms"]!.AsArray().Select(a => (string)a!));
        Assert.Equal(AllAlgorithms[6..], ec["signingAlgorithms"]!.AsArray().Select(a => (string)a!));
    }

    private string Write(string name, byte[] content)
    {
        string path = Path.Combine(keys.WorkDirectory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static string Digest(string algorithm) => algorithm[^3..] switch
    {
        "256" => "sha256",
        "384" => "sha384",
        _ => "sha512",
    };

    private static string[] PssOptions(string algorithm) => algorithm.Contains("PSS", StringComparison.Ordinal)
        ? ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"]
        : [];
}
