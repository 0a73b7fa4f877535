using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Kmip.Ttlv;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using static InfisicalKms.Tests.Kmip.KmipStep;

namespace InfisicalKms.Tests.Kmip;

/// <summary>What the KMIP server refuses to PyKMIP: foreign, expired and revoked certificates, other projects' keys,
/// each missing permission, and key material that is not exportable.</summary>
public sealed partial class PyKmipTests
{
    public static TheoryData<string> EveryPermission => new(KmipPermissionNames.Wire.Names);

    [Fact]
    public async Task Handshake_CertificateOfAnotherCa_IsRefused()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP foreign CA");
        KmipBundle genuine = await server.NewClientAsync(projectId, Everything);
        string folder = Path.Combine(server.WorkDirectory, "foreign-" + KmipServerFixture.UniqueSuffix());
        Directory.CreateDirectory(folder);
        string InFolder(string file) => Path.Combine(folder, file);
        // A CA of its own and a client certificate that looks like ours in every field: subject, SANs, EKU.
        await ExternalTools.RunOkAsync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", InFolder("ca.key"), "-out", InFolder("other-ca.pem"),
            "-days", "30", "-subj", "/CN=InfisicalKms KMIP CA", "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        await ExternalTools.RunOkAsync("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", InFolder("client.key"), "-out", InFolder("client.csr"),
            "-subj", $"/O=InfisicalKms/OU={projectId}/CN={genuine.ClientId}"]);
        File.WriteAllText(InFolder("client.ext"),
            $"subjectAltName=URI:urn:infisical-kms:kmip-client:{genuine.ClientId},DNS:pykmip-foreign\nextendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
        await ExternalTools.RunOkAsync("openssl", ["x509", "-req", "-in", InFolder("client.csr"), "-CA", InFolder("other-ca.pem"), "-CAkey", InFolder("ca.key"),
            "-CAcreateserial", "-out", InFolder("client.pem"), "-days", "30", "-extfile", InFolder("client.ext")]);
        KmipBundle foreign = server.WriteBundle(genuine.ClientId, File.ReadAllText(InFolder("client.pem")), File.ReadAllText(InFolder("client.key")),
            await server.CaCertificatePemAsync());

        (await server.RunAsync(foreign, Query())).AssertHandshakeRefused();
        (await server.RunAsync(genuine, Query())).Ok(0);   // the same client with its real certificate is served
    }

    [Fact]
    public async Task Handshake_ExpiredCertificateOfOurCa_IsRefused()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP expired");
        KmipBundle expired = await server.NewExpiredClientAsync(projectId);

        (await server.RunAsync(expired, Query())).AssertHandshakeRefused();
    }

    [Fact]
    public async Task RevokedClient_OpenSessionIsDeniedThenNewSessionsAreRefused()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP revoked");
        KmipBundle client = await server.NewClientAsync(projectId, Everything);
        string reached = Path.Combine(client.Folder, "reached"), revoked = Path.Combine(client.Folder, "revoked");

        Task<DriverRun> session = server.RunAsync(client,
            Create("AES", 256, "pykmip-before-revoke-" + KmipServerFixture.UniqueSuffix()),   // 0
            Signal(reached),                                                                // 1
            Wait(revoked),                                                                  // 2
            Locate(),                                                                       // 3
            GetAttributes(Ref(0, "uid")));                                                  // 4
        await WaitForFileAsync(reached, session);
        await server.RevokeAsync(client.ClientId);
        File.WriteAllText(revoked, "");
        DriverRun run = await session;

        run.Ok(0);
        run.Failed(3, "PERMISSION_DENIED");
        Assert.False((bool)run.Result(4)["ok"]!, $"a revoked client's session must not be served again: {run.Describe()}");
        (await server.RunAsync(client, Query())).AssertHandshakeRefused();
    }

    [Fact]
    public async Task OtherProjectsKeys_CannotBeSeenOrUsed()
    {
        string projectA = await server.CreateProjectAsync("PyKMIP project A");
        string projectB = await server.CreateProjectAsync("PyKMIP project B");
        string nameB = "pykmip-b-" + KmipServerFixture.UniqueSuffix();
        string keyB = (string)(await LifecycleApi.CreateKeyAsync(server.Admin.Client, projectB, nameB, isExportable: true))["id"]!;
        string keyA = (string)(await LifecycleApi.CreateKeyAsync(server.Admin.Client, projectA, "pykmip-a-" + KmipServerFixture.UniqueSuffix()))["id"]!;
        KmipBundle clientA = await server.NewClientAsync(projectA, Everything);

        DriverRun run = await server.RunAsync(clientA,
            Locate(), Locate(name: nameB), Get(keyB), GetAttributes(keyB), Encrypt(keyB, Message), Revoke(keyB), Destroy(keyB));

        Assert.Equal([keyA], Uids(run.Ok(0)));
        Assert.Empty(Uids(run.Ok(1)));
        for (int step = 2; step <= 6; step++)
        {
            run.Failed(step, "ITEM_NOT_FOUND");
        }

        JsonObject untouched = await LifecycleApi.GetKeyAsync(server.Admin.Client, keyB);
        Assert.False((bool)untouched["isDisabled"]!);
    }

    [Theory]
    [MemberData(nameof(EveryPermission))]
    public async Task MissingPermission_TheOperationNeedingIt_IsPermissionDenied(string permission)
    {
        Targets targets = await server.SharedAsync("permission-targets", () => CreateTargetsAsync(server));
        Assert.True(KmipPermissionNames.Wire.TryParse(permission, out KmipPermissions missing));
        KmipBundle client = await server.NewClientAsync(targets.ProjectId, Everything & ~missing);
        JsonObject operation = permission switch
        {
            "create" => Create("AES", 256, "pykmip-denied-" + KmipServerFixture.UniqueSuffix()),
            "register" => Register("AES", RandomNumberGenerator.GetBytes(32), "pykmip-denied-" + KmipServerFixture.UniqueSuffix()),
            "locate" => Locate(),
            "get" => Get(targets.Aes),
            "get-attributes" => GetAttributes(targets.Aes),
            "activate" => Activate(targets.PreActive),
            "revoke" => Revoke(targets.Aes),
            "destroy" => Destroy(targets.Revoked),
            "encrypt" => Encrypt(targets.Aes, Message),
            "decrypt" => Decrypt(targets.Aes, targets.Ciphertext["data"]!.GetValue<string>(), targets.Ciphertext["iv"]!.GetValue<string>(),
                targets.Ciphertext["tag"]!.GetValue<string>()),
            "sign" => Sign(targets.EcPrivate, Message, "ECDSA_WITH_SHA256"),
            "verify" => SignatureVerify(targets.EcPublic, Message, targets.Signature, "ECDSA_WITH_SHA256"),
            "mac" => Mac(targets.Hmac, Message),
            _ => throw new ArgumentOutOfRangeException(nameof(permission), permission, null),
        };

        DriverRun run = await server.RunAsync(client, Query(), operation);

        run.Ok(0);
        JsonObject refused = run.Failed(1, "PERMISSION_DENIED");
        Assert.Equal($"KMIP client is not allowed to {permission}", (string?)refused["message"]);
    }

    /// <summary>
    /// A refusal is the client's doing, not the server's: its failure record (and the key usage counts made from it)
    /// carries the class the REST API would give it, never 500 InternalServerError.
    /// </summary>
    [Fact]
    public async Task Refusals_AreAuditedWithTheirErrorClass_NotAsServerErrors()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP refusals audited");
        KmipBundle owner = await server.NewClientAsync(projectId, Everything);
        KmipBundle noEncrypt = await server.NewClientAsync(projectId, Everything & ~KmipPermissions.Encrypt);
        DriverRun run = await server.RunAsync(owner,
            Create("AES", 256, "pykmip-refused-" + KmipServerFixture.UniqueSuffix()),   // 0
            Activate(Ref(0, "uid")),                                                    // 1
            Destroy(Ref(0, "uid")),                                                     // 2: refused, the key is active
            Sign(Ref(0, "uid"), Message, "ECDSA_WITH_SHA256"));                         // 3: refused, an AES key does not sign
        string keyId = Uid(run.Ok(0));
        run.Ok(1);
        run.Failed(2, "PERMISSION_DENIED");
        run.Failed(3, "ILLEGAL_OPERATION");
        (await server.RunAsync(noEncrypt, Encrypt(keyId, Message))).Failed(0, "PERMISSION_DENIED");

        JsonObject page = await ApiAssert.OkAsync(await server.Admin.Client.GetAsync($"/api/v1/projects/{projectId}/audit-logs?limit=100"));
        Dictionary<string, string> failures = page["auditLogs"]!.AsArray().Select(r => r!.AsObject())
            .Where(r => (string?)r["keyId"] == keyId && (string?)r["outcome"] == "failure")
            .ToDictionary(r => (string)r["eventType"]!, r => $"{(string?)r["metadata"]!["statusCode"]} {(string?)r["metadata"]!["error"]}");
        Assert.Equal(new Dictionary<string, string>
        {
            ["delete-cmek"] = "403 PermissionDenied",
            ["cmek-sign"] = "400 BadRequest",
            ["cmek-encrypt"] = "403 PermissionDenied",
        }, failures);
    }

    /// <summary>
    /// A field of the wrong type read inside an audited operation (Sign reads its Cryptographic Parameters once the
    /// key is known) is Invalid Field to the client and 400 BadRequest in the audit log, not a server error. PyKMIP
    /// types its fields itself, so the request is written by hand.
    /// </summary>
    [Fact]
    public async Task WronglyTypedParameter_InsideAnAuditedOperation_IsInvalidField_AuditedAsBadRequest()
    {
        string projectId = await server.CreateProjectAsync("KMIP wrongly typed parameter");
        string keyId = (string)(await LifecycleApi.CreateKeyAsync(server.Admin.Client, projectId, "kmip-typed-" + KmipServerFixture.UniqueSuffix(), "sign-verify", "ECC_NIST_P256"))["id"]!;
        KmipBundle bundle = await server.NewClientAsync(projectId, KmipPermissions.Sign);
        await using KmipWireClient client = await KmipWireClient.ConnectAsync(server.Port, bundle);

        TtlvItem response = await client.RequestAsync(KmipWireClient.Request(KmipOperation.Sign,
            TtlvItem.Text(KmipTag.UniqueIdentifier, keyId),
            TtlvItem.Structure(KmipTag.CryptographicParameters, TtlvItem.Text(KmipTag.DigitalSignatureAlgorithm, "ECDSA with SHA-256")),
            TtlvItem.Bytes(KmipTag.Data, Message)));

        Assert.Equal(KmipResultStatus.OperationFailed, KmipWireClient.Status(response));
        Assert.Equal(KmipResultReason.InvalidField, KmipWireClient.Reason(response));
        Assert.Contains("DigitalSignatureAlgorithm", KmipWireClient.Item(response).Require(KmipTag.ResultMessage).AsText(), StringComparison.Ordinal);
        JsonObject page = await ApiAssert.OkAsync(await server.Admin.Client.GetAsync($"/api/v1/projects/{projectId}/audit-logs?limit=100"));
        JsonObject record = Assert.Single(page["auditLogs"]!.AsArray().Select(r => r!.AsObject()), r => (string?)r["keyId"] == keyId && (string?)r["eventType"] == "cmek-sign");
        Assert.Equal("failure", (string?)record["outcome"]);
        Assert.Equal("400 BadRequest", $"{(string?)record["metadata"]!["statusCode"]} {(string?)record["metadata"]!["error"]}");
    }

    [Fact]
    public async Task Get_OfKeyNotExportable_IsRefusedAndOfExportableKey_ReturnsItsMaterial()
    {
        string projectId = await server.CreateProjectAsync("PyKMIP export");
        string sealedKey = (string)(await LifecycleApi.CreateKeyAsync(server.Admin.Client, projectId, "pykmip-sealed-" + KmipServerFixture.UniqueSuffix()))["id"]!;
        string openKey = (string)(await LifecycleApi.CreateKeyAsync(server.Admin.Client, projectId, "pykmip-open-" + KmipServerFixture.UniqueSuffix(), isExportable: true))["id"]!;
        KmipBundle client = await server.NewClientAsync(projectId, Everything);

        DriverRun run = await server.RunAsync(client, Get(sealedKey), Get(openKey), GetAttributes(sealedKey));

        Assert.Equal($"Key '{sealedKey}' is not exportable", (string?)run.Failed(0, "PERMISSION_DENIED")["message"]);
        JsonObject exported = await ApiAssert.OkAsync(await server.Admin.Client.GetAsync($"/api/v1/kms/keys/{openKey}/private-key"));
        Assert.Equal(Convert.FromBase64String((string)exported["privateKey"]!), Bytes(run.Ok(1), "key"));
        Assert.Equal("ACTIVE", (string?)Attributes(run.Ok(2))["State"]);   // attributes are not key material
    }

    /// <summary>Keys each permission case acts on, made once by a client with every permission.</summary>
    private static async Task<Targets> CreateTargetsAsync(KmipServerFixture server)
    {
        string projectId = await server.CreateProjectAsync("PyKMIP permissions");
        KmipBundle owner = await server.NewClientAsync(projectId, Everything);
        string prefix = "pykmip-target-" + KmipServerFixture.UniqueSuffix();
        DriverRun run = await server.RunAsync(owner,
            Create("AES", 256, prefix + "-aes"), Activate(Ref(0, "uid")), Encrypt(Ref(0, "uid"), Message),   // 0-2
            Create("AES", 256, prefix + "-pre-active"),                                                      // 3
            Create("AES", 256, prefix + "-revoked"), Activate(Ref(4, "uid")), Revoke(Ref(4, "uid")),         // 4-6
            CreateKeyPair("EC", 256, prefix + "-ec"), Activate(Ref(7, "private_uid")),                       // 7-8
            Sign(Ref(7, "private_uid"), Message, "ECDSA_WITH_SHA256"),                                       // 9
            Register("HMAC_SHA256", RandomNumberGenerator.GetBytes(32), prefix + "-mac"), Activate(Ref(10, "uid")));   // 10-11
        for (int step = 0; step < run.Steps.Count; step++)
        {
            run.Ok(step);
        }

        return new Targets(projectId, Uid(run.Ok(0)), run.Ok(2), Uid(run.Ok(3)), Uid(run.Ok(4)),
            (string)run.Ok(7)["private_uid"]!, (string)run.Ok(7)["public_uid"]!, (string)run.Ok(9)["signature"]!, Uid(run.Ok(10)));
    }

    private static async Task WaitForFileAsync(string path, Task<DriverRun> session)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(path))
        {
            if (session.IsCompleted)
            {
                Assert.Fail($"the driver ended before reaching its signal step:\n{(await session).Describe()}");
            }

            Assert.True(DateTime.UtcNow < deadline, "the driver did not reach its signal step within 60 s");
            await Task.Delay(50);
        }
    }

    private sealed record Targets(
        string ProjectId, string Aes, JsonObject Ciphertext, string PreActive, string Revoked, string EcPrivate, string EcPublic, string Signature, string Hmac);
}
