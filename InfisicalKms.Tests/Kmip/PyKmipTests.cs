using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using static InfisicalKms.Tests.Kmip.KmipStep;

namespace InfisicalKms.Tests.Kmip;

/// <summary>
/// The KMIP server driven by a KMIP client nobody here wrote: PyKMIP 0.10's ProxyKmipClient (Debian python3-pykmip)
/// over mutual TLS, one process per test (<see cref="PyKmipDriver"/>), against the product server in-process. Each
/// test checks what an operator would: the operation's answer, and where it shows in the REST API and audit log.
/// </summary>
[Trait("Category", "Kmip")]
public sealed partial class PyKmipTests(KmipServerFixture server) : IClassFixture<KmipServerFixture>
{
    private static readonly KmipPermissions Everything = KmipPermissionNames.All.Aggregate((a, b) => a | b);

    private static readonly byte[] Message = Encoding.UTF8.GetBytes("disk block 0017: customer ledger");

    [Fact]
    public async Task SymmetricKey_CreateLocateActivateEncryptRevokeDestroy_WholeLifecycle()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP lifecycle");
        KmipBundle client = await server.NewClientAsync(projectId, Everything);
        string name = "pykmip-disk-" + KmipServerFixture.UniqueSuffix();
        string uid = Ref(0, "uid");

        DriverRun run = await server.RunAsync(client,
            Create("AES", 256, name),                       // 0
            Locate(name: name),                             // 1
            GetAttributes(uid),                             // 2
            Activate(uid),                                  // 3
            GetAttributes(uid),                             // 4
            Encrypt(uid, Message),                          // 5
            Decrypt(uid, Ref(5, "data"), Ref(5, "iv"), Ref(5, "tag")),   // 6
            Destroy(uid),                                   // 7: refused, the key is active
            Revoke(uid),                                    // 8
            GetAttributes(uid),                             // 9
            Destroy(uid),                                   // 10
            Get(uid),                                       // 11
            Locate(name: name),                             // 12
            Create("AES", 128, name + "-small"),            // 13
            GetAttributes(Ref(13, "uid")));                 // 14

        string keyId = (string)run.Ok(0)["uid"]!;
        Assert.True(Guid.TryParse(keyId, out _), $"a key's unique identifier is its ID: {keyId}");
        Assert.Equal([keyId], Uids(run.Ok(1)));
        JsonObject created = Attributes(run.Ok(2));
        Assert.Equal(name, (string?)created["Name"]);
        Assert.Equal("SYMMETRIC_KEY", (string?)created["Object Type"]);
        Assert.Equal("AES", (string?)created["Cryptographic Algorithm"]);
        Assert.Equal(256, (int?)created["Cryptographic Length"]);
        Assert.Equal("PRE_ACTIVE", (string?)created["State"]);
        run.Ok(3);
        Assert.Equal("ACTIVE", (string?)Attributes(run.Ok(4))["State"]);
        JsonObject encrypted = run.Ok(5);
        Assert.Equal(12, Convert.FromBase64String((string)encrypted["iv"]!).Length);
        Assert.Equal(16, Convert.FromBase64String((string)encrypted["tag"]!).Length);
        Assert.Equal(Message.Length, Convert.FromBase64String((string)encrypted["data"]!).Length);
        Assert.Equal(Message, Convert.FromBase64String((string)run.Ok(6)["data"]!));
        Assert.Equal($"Object '{keyId}' is Active; revoke it before destroying it", (string?)run.Failed(7, "PERMISSION_DENIED")["message"]);
        run.Ok(8);
        JsonObject revoked = Attributes(run.Ok(9));
        Assert.Equal("DEACTIVATED", (string?)revoked["State"]);
        Assert.NotNull(revoked["Deactivation Date"]);
        run.Ok(10);
        run.Failed(11, "ITEM_NOT_FOUND");
        Assert.Empty(Uids(run.Ok(12)));
        Assert.Equal(128, (int?)Attributes(run.Ok(14))["Cryptographic Length"]);
        await ApiAssert.ErrorAsync(await server.Admin.Client.GetAsync($"/api/v1/kms/keys/{keyId}"), 404, "NotFound");
    }

    [Fact]
    public async Task KeyPairs_Rsa4096AndEcP256_SignAndVerifyHereAndInDotNet()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP signing");
        KmipBundle client = await server.NewClientAsync(projectId, Everything);
        byte[] tampered = Encoding.UTF8.GetBytes("disk block 0017: customer ledgeR");

        DriverRun run = await server.RunAsync(client,
            CreateKeyPair("RSA", 4096, "pykmip-rsa-" + KmipServerFixture.UniqueSuffix()),   // 0
            Activate(Ref(0, "private_uid")),                                               // 1
            Sign(Ref(0, "private_uid"), Message, "SHA256_WITH_RSA_ENCRYPTION"),            // 2
            SignatureVerify(Ref(0, "public_uid"), Message, Ref(2, "signature"), "SHA256_WITH_RSA_ENCRYPTION"),   // 3
            SignatureVerify(Ref(0, "public_uid"), tampered, Ref(2, "signature"), "SHA256_WITH_RSA_ENCRYPTION"),  // 4
            Sign(Ref(0, "private_uid"), Message, "RSASSA_PSS+SHA_256"),                    // 5
            SignatureVerify(Ref(0, "public_uid"), Message, Ref(5, "signature"), "RSASSA_PSS+SHA_256"),           // 6
            Get(Ref(0, "public_uid")),                                                     // 7
            CreateKeyPair("EC", 256, "pykmip-ec-" + KmipServerFixture.UniqueSuffix()),     // 8
            Activate(Ref(8, "private_uid")),                                               // 9
            Sign(Ref(8, "private_uid"), Message, "ECDSA_WITH_SHA256"),                     // 10
            SignatureVerify(Ref(8, "public_uid"), Message, Ref(10, "signature"), "ECDSA_WITH_SHA256"),           // 11
            SignatureVerify(Ref(8, "public_uid"), tampered, Ref(10, "signature"), "ECDSA_WITH_SHA256"),          // 12
            Get(Ref(8, "public_uid")),                                                     // 13
            GetAttributes(Ref(0, "private_uid")),                                          // 14
            GetAttributes(Ref(0, "public_uid")));                                          // 15

        JsonObject rsa = run.Ok(0);
        Assert.Equal((string)rsa["private_uid"]! + "-public", (string?)rsa["public_uid"]);
        run.Ok(1);
        Assert.True((bool)run.Ok(3)["valid"]!);
        Assert.False((bool)run.Ok(4)["valid"]!);
        Assert.True((bool)run.Ok(6)["valid"]!);
        using (RSA publicKey = RsaPublicKey(run.Ok(7)))
        {
            Assert.Equal(4096, publicKey.KeySize);
            Assert.True(publicKey.VerifyData(Message, Bytes(run.Ok(2), "signature"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            Assert.True(publicKey.VerifyData(Message, Bytes(run.Ok(5), "signature"), HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
        }

        run.Ok(9);
        Assert.True((bool)run.Ok(11)["valid"]!);
        Assert.False((bool)run.Ok(12)["valid"]!);
        using ECDsa ecPublic = ECDsa.Create();
        ecPublic.ImportSubjectPublicKeyInfo(Bytes(run.Ok(13), "key"), out _);
        Assert.Equal(256, ecPublic.KeySize);
        Assert.True(ecPublic.VerifyData(Message, Bytes(run.Ok(10), "signature"), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

        JsonObject privateAttributes = Attributes(run.Ok(14)), publicAttributes = Attributes(run.Ok(15));
        Assert.Equal("PRIVATE_KEY", (string?)privateAttributes["Object Type"]);
        Assert.Equal("PUBLIC_KEY", (string?)publicAttributes["Object Type"]);
        Assert.Equal("RSA", (string?)publicAttributes["Cryptographic Algorithm"]);
        Assert.Equal(4096, (int?)privateAttributes["Cryptographic Length"]);
        Assert.Equal("ACTIVE", (string?)publicAttributes["State"]);

        // The pair is one product key with a public half: the REST API shows it as such.
        JsonObject key = await LifecycleApi.GetKeyAsync(server.Admin.Client, (string)rsa["private_uid"]!);
        Assert.Equal("RSA_4096", (string?)key["algorithm"]);
        Assert.Equal("sign-verify", (string?)key["keyUsage"]);
        Assert.Equal("ECC_NIST_P256", (string?)(await LifecycleApi.GetKeyAsync(server.Admin.Client, (string)run.Ok(8)["private_uid"]!))["algorithm"]);
    }

    [Fact]
    public async Task Register_AesAndHmacKeys_GetReturnsTheBytesAndMacMatchesDotNet()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP register");
        KmipBundle client = await server.NewClientAsync(projectId, Everything);
        byte[] aesKey = RandomNumberGenerator.GetBytes(32);
        byte[] hmacKey = RandomNumberGenerator.GetBytes(32);

        DriverRun run = await server.RunAsync(client,
            Register("AES", aesKey, "pykmip-registered-" + KmipServerFixture.UniqueSuffix()),    // 0
            Activate(Ref(0, "uid")),                                                          // 1
            Get(Ref(0, "uid")),                                                               // 2
            Register("HMAC_SHA256", hmacKey, "pykmip-mac-" + KmipServerFixture.UniqueSuffix()),  // 3
            Activate(Ref(3, "uid")),                                                          // 4
            Mac(Ref(3, "uid"), Message),                                                      // 5
            Encrypt(Ref(0, "uid"), Message));                                                 // 6

        JsonObject got = run.Ok(2);
        Assert.Equal("SYMMETRIC_KEY", (string?)got["object_type"]);
        Assert.Equal(aesKey, Bytes(got, "key"));
        Assert.Equal(HMACSHA256.HashData(hmacKey, Message), Bytes(run.Ok(5), "mac"));

        // The registered bytes are the product key's: a KMIP ciphertext opens here with them, and REST exports them.
        JsonObject encrypted = run.Ok(6);
        byte[] plaintext = new byte[Message.Length];
        using (var aes = new AesGcm(aesKey, 16))
        {
            aes.Decrypt(Bytes(encrypted, "iv"), Bytes(encrypted, "data"), Bytes(encrypted, "tag"), plaintext);
        }

        Assert.Equal(Message, plaintext);
        JsonObject exported = await ApiAssert.OkAsync(await server.Admin.Client.GetAsync($"/api/v1/kms/keys/{(string)run.Ok(0)["uid"]!}/private-key"));
        Assert.Equal(aesKey, Convert.FromBase64String((string)exported["privateKey"]!));
    }

    [Fact]
    public async Task Locate_ByTypeAlgorithmLengthStateAndName_PagesWithoutGapsOrRepeats()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP locate");
        KmipBundle client = await server.NewClientAsync(projectId, Everything);
        string prefix = "pykmip-find-" + KmipServerFixture.UniqueSuffix();

        DriverRun setup = await server.RunAsync(client,
            Create("AES", 128, prefix + "-a128"),                               // 0
            Create("AES", 256, prefix + "-a256-one"),                           // 1
            Create("AES", 256, prefix + "-a256-two"),                           // 2
            Activate(Ref(1, "uid")),                                            // 3
            Register("HMAC_SHA256", RandomNumberGenerator.GetBytes(32), prefix + "-mac"),   // 4
            CreateKeyPair("EC", 256, prefix + "-ec"));                          // 5
        string a128 = Uid(setup.Ok(0)), a256One = Uid(setup.Ok(1)), a256Two = Uid(setup.Ok(2)), mac = Uid(setup.Ok(4));
        setup.Ok(3);
        string ecPrivate = (string)setup.Ok(5)["private_uid"]!, ecPublic = (string)setup.Ok(5)["public_uid"]!;

        DriverRun run = await server.RunAsync(client,
            Locate(objectType: "SYMMETRIC_KEY"),                 // 0
            Locate(objectType: "PRIVATE_KEY"),                   // 1
            Locate(objectType: "PUBLIC_KEY"),                    // 2
            Locate(algorithm: "AES"),                            // 3
            Locate(algorithm: "AES", length: 256),               // 4
            Locate(length: 128),                                 // 5
            Locate(state: "ACTIVE"),                             // 6
            Locate(state: "PRE_ACTIVE", algorithm: "AES"),       // 7
            Locate(name: prefix + "-a256-two"),                  // 8
            Locate(name: prefix + "-missing"),                   // 9
            Locate(algorithm: "AES", maximumItems: 2),           // 10
            Locate(algorithm: "AES", maximumItems: 2, offsetItems: 2),   // 11
            Locate(algorithm: "AES", offsetItems: 3));           // 12

        Assert.Equal(Sorted(a128, a256One, a256Two, mac), Sorted([.. Uids(run.Ok(0))]));
        Assert.Equal([ecPrivate], Uids(run.Ok(1)));
        Assert.Equal([ecPublic], Uids(run.Ok(2)));
        Assert.Equal(Sorted(a128, a256One, a256Two), Sorted([.. Uids(run.Ok(3))]));
        Assert.Equal(Sorted(a256One, a256Two), Sorted([.. Uids(run.Ok(4))]));
        Assert.Equal([a128], Uids(run.Ok(5)));
        Assert.Equal([a256One], Uids(run.Ok(6)));
        Assert.Equal(Sorted(a128, a256Two), Sorted([.. Uids(run.Ok(7))]));
        Assert.Equal([a256Two], Uids(run.Ok(8)));
        Assert.Empty(Uids(run.Ok(9)));
        List<string> first = Uids(run.Ok(10)), second = Uids(run.Ok(11));
        Assert.Equal(2, first.Count);
        Assert.Single(second);
        Assert.Equal(Sorted(a128, a256One, a256Two), Sorted([.. first, .. second]));
        Assert.Empty(Uids(run.Ok(12)));
    }

    [Fact]
    public async Task KmipKey_IsAnOrdinaryProjectKey_InTheRestApiAndTheAuditChain()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP visible");
        KmipBundle client = await server.NewClientAsync(projectId, Everything, name: "pykmip-auditor");
        string name = "pykmip-visible-" + KmipServerFixture.UniqueSuffix();

        DriverRun run = await server.RunAsync(client,
            Create("AES", 256, name), Activate(Ref(0, "uid")), Encrypt(Ref(0, "uid"), Message), Get(Ref(0, "uid")));
        string keyId = Uid(run.Ok(0));
        run.Ok(1);
        run.Ok(2);
        run.Ok(3);

        JsonObject key = await LifecycleApi.GetKeyAsync(server.Admin.Client, keyId);
        Assert.Equal(name, (string?)key["name"]);
        Assert.Equal(projectId, (string?)key["projectId"]);
        Assert.Equal("aes-256-gcm", (string?)key["algorithm"]);
        Assert.Equal("encrypt-decrypt", (string?)key["keyUsage"]);
        Assert.True((bool)key["isExportable"]!, "keys created over KMIP are exportable (README: KMIP)");
        Assert.False((bool)key["isDisabled"]!, "an activated key is enabled");

        JsonObject page = await ApiAssert.OkAsync(await server.Admin.Client.GetAsync(
            $"/api/v1/projects/{projectId}/audit-logs?actorId={client.ClientId}&limit=100"));
        List<JsonObject> records = [.. page["auditLogs"]!.AsArray().Select(r => r!.AsObject())];
        Assert.All(records, r =>
        {
            Assert.Equal("kmip-client", (string?)r["actor"]!["type"]);
            Assert.Equal(client.ClientId.ToString(), (string?)r["actor"]!["id"]);
            Assert.Equal("pykmip-auditor", (string?)r["actor"]!["name"]);
            Assert.Equal("kmip", (string?)r["metadata"]!["protocol"]);
        });
        List<string> types = [.. records.Where(r => (string?)r["keyId"] == keyId).Select(r => (string)r["eventType"]!)];
        Assert.Contains("create-cmek", types);
        Assert.Contains("cmek-encrypt", types);
        Assert.Contains("cmek-get-private-key", types);
        JsonObject verified = await ApiAssert.OkAsync(await server.Admin.Client.GetAsync($"/api/v1/projects/{projectId}/audit-logs/verify"));
        Assert.True((bool)verified["valid"]!, verified.ToJsonString());
    }

    [Fact]
    public async Task Ciphertexts_CrossBetweenKmipAndRest_BothWays()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP interop");
        KmipBundle client = await server.NewClientAsync(projectId, Everything);
        DriverRun created = await server.RunAsync(client, Create("AES", 256, "pykmip-cross-" + KmipServerFixture.UniqueSuffix()), Activate(Ref(0, "uid")));
        string keyId = Uid(created.Ok(0));
        created.Ok(1);
        byte[] restPlaintext = Encoding.UTF8.GetBytes("made by the REST API, opened over KMIP");
        byte[] restBlob = Convert.FromBase64String(await LifecycleApi.EncryptAsync(server.Admin.Client, keyId, restPlaintext));
        // The REST blob of a version-1 key: IV(12) || ciphertext || tag(16) || "v01".
        Assert.Equal("v01", Encoding.ASCII.GetString(restBlob[^3..]));
        byte[] iv = restBlob[..12], tag = restBlob[^19..^3], data = restBlob[12..^19];

        DriverRun run = await server.RunAsync(client,
            Encrypt(keyId, Message),                               // 0: KMIP 1.4 GCM, split form
            Decrypt(keyId, Convert.ToBase64String(data), Convert.ToBase64String(iv), Convert.ToBase64String(tag)),   // 1
            Encrypt(keyId, Message, gcm: false),                   // 2: no parameters, the whole blob
            Decrypt(keyId, Convert.ToBase64String(restBlob)));     // 3

        JsonObject split = run.Ok(0);
        byte[] assembled = [.. Bytes(split, "iv"), .. Bytes(split, "data"), .. Bytes(split, "tag"), .. "v01"u8];
        Assert.Equal(Message, await LifecycleApi.DecryptOkAsync(server.Admin.Client, keyId, Convert.ToBase64String(assembled)));
        Assert.Equal(restPlaintext, Bytes(run.Ok(1), "data"));
        Assert.Equal(Message, await LifecycleApi.DecryptOkAsync(server.Admin.Client, keyId, (string)run.Ok(2)["data"]!));
        Assert.Equal(restPlaintext, Bytes(run.Ok(3), "data"));
    }

    [Fact]
    public async Task ServerInformation_DiscoverVersionsAndQuery_NeedNoPermission()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP query");
        KmipBundle client = await server.NewClientAsync(projectId, KmipPermissions.None);

        DriverRun run = await server.RunAsync(client, DiscoverVersions(), Query());

        Assert.Equal(["1.4", "1.3", "1.2", "1.1", "1.0"], run.Ok(0)["versions"]!.AsArray().Select(v => (string)v!));
        List<string> operations = [.. run.Ok(1)["operations"]!.AsArray().Select(o => (string)o!)];
        Assert.Superset(new HashSet<string>(["CREATE", "CREATE_KEY_PAIR", "REGISTER", "LOCATE", "GET", "GET_ATTRIBUTES", "ACTIVATE",
            "REVOKE", "DESTROY", "ENCRYPT", "DECRYPT", "SIGN", "SIGNATURE_VERIFY", "MAC", "QUERY", "DISCOVER_VERSIONS"]), operations.ToHashSet());
        Assert.False(string.IsNullOrWhiteSpace((string?)run.Ok(1)["vendor"]));
    }

    private static string Uid(JsonObject result) => (string)result["uid"]!;

    private static List<string> Uids(JsonObject result) => [.. result["uids"]!.AsArray().Select(u => (string)u!)];

    private static List<string> Sorted(params string[] uids) => [.. uids.Order(StringComparer.Ordinal)];

    private static JsonObject Attributes(JsonObject result) => result["attributes"]!.AsObject();

    private static byte[] Bytes(JsonObject result, string field) => Convert.FromBase64String((string)result[field]!);

    /// <summary>A public key from Get: X.509 SubjectPublicKeyInfo or PKCS#1, as its Key Format Type says.</summary>
    private static RSA RsaPublicKey(JsonObject got)
    {
        var rsa = RSA.Create();
        if ((string?)got["format"] == "PKCS_1")
        {
            rsa.ImportRSAPublicKey(Bytes(got, "key"), out _);
        }
        else
        {
            rsa.ImportSubjectPublicKeyInfo(Bytes(got, "key"), out _);
        }

        return rsa;
    }
}
