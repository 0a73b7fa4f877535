using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static InfisicalKms.Tests.Core.Kmip.KmipCertificates;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>KMIP clients of a project through <see cref="KmipClientService"/>, as the web interface calls it, on a real database.</summary>
public sealed class KmipClientServiceTests(KmipCoreHost host) : IClassFixture<KmipCoreHost>
{
    private readonly CancellationToken _ct = CancellationToken.None;

    private KmipClientService Clients => host.Clients;

    [Fact]
    public async Task Create_ValidRequest_StoresTheClientAndAuditsItWithTheUserAsActor()
    {
        KmipClient client = await Clients.CreateAsync(host.AdminActor, new CreateKmipClientRequest(
            host.Project.Id.ToString(), "percona-node-1", "Percona keyring", KmipPermissions.Create | KmipPermissions.Get | KmipPermissions.Locate), _ct);

        KmipClient stored = await Clients.GetAsync(host.AdminActor, client.Id.ToString(), _ct);
        Assert.Equal("percona-node-1", stored.Name);
        Assert.Equal("Percona keyring", stored.Description);
        Assert.Equal(["create", "locate", "get"], stored.Permissions.ToWire());
        Assert.Equal(host.Project.Id, stored.ProjectId);
        Assert.Equal(host.Organization.Id, stored.OrganizationId);
        Assert.Null(stored.RevokedAt);
        AuditEvent record = Assert.Single(await RecordsAsync(AuditEventTypes.CreateKmipClient, client));
        Assert.Equal(("user", host.AdminActor.Id, "success"), (record.ActorType, record.ActorId, record.Outcome));
        Assert.Equal("percona-node-1", record.Metadata["clientName"]);
        Assert.Equal("create,locate,get", record.Metadata["permissions"]);
    }

    [Fact]
    public async Task Create_NoPermissions_IsAllowed()
    {
        KmipClient client = await host.CreateClientAsync("query-only", KmipPermissions.None);

        Assert.Empty((await Clients.GetAsync(host.AdminActor, client.Id.ToString(), _ct)).Permissions.ToWire());
    }

    [Theory]
    [InlineData("", "name", "Name field must be at least 1 lowercase character")]
    [InlineData("Upper-Case", "name", "Name field can only contain lowercase letters, numbers, and hyphens")]
    [InlineData("a123456789b123456789c123456789d123456789e123456789f123456789g1234", "name", "Name field must be at most 64 lowercase characters")]
    public async Task Create_InvalidName_IsAValidationError(string name, string field, string message)
    {
        KmsValidationException error = await Assert.ThrowsAsync<KmsValidationException>(() => host.CreateClientAsync(name));

        Assert.Equal(new ValidationIssue(field, message), Assert.Single(error.Issues));
    }

    [Fact]
    public async Task Create_UnknownPermissionOrLongDescription_IsAValidationError()
    {
        KmsValidationException error = await Assert.ThrowsAsync<KmsValidationException>(() => Clients.CreateAsync(host.AdminActor,
            new CreateKmipClientRequest(host.Project.Id.ToString(), "odd-client", new string('d', 257), (KmipPermissions)(1 << 20)), _ct));

        Assert.Equal(["description", "permissions"], error.Issues.Select(i => i.Field));
    }

    [Fact]
    public async Task Create_DuplicateNameInTheProject_IsRefusedButAnotherProjectMayUseIt()
    {
        await host.CreateClientAsync("vsphere");
        Project other = await host.CreateProjectAsync("Other KMIP Project");

        KmsBadRequestException error = await Assert.ThrowsAsync<KmsBadRequestException>(() => host.CreateClientAsync("vsphere"));
        KmipClient elsewhere = await host.CreateClientAsync("vsphere", project: other);

        Assert.Equal($"A KMIP client with the name \"vsphere\" already exists for the project with ID \"{host.Project.Id}\"", error.Message);
        Assert.Equal(other.Id, elsewhere.ProjectId);
    }

    [Fact]
    public async Task List_SearchAndPaging_ReturnsThePageByNameWithTheTotal()
    {
        Project project = await host.CreateProjectAsync("List KMIP Project");
        foreach (string name in new[] { "db-c", "db-a", "array-1", "db-b" })
        {
            await host.CreateClientAsync(name, project: project);
        }

        KmipClientPage all = await Clients.ListAsync(host.AdminActor, new ListKmipClientsRequest(project.Id.ToString()), _ct);
        KmipClientPage page = await Clients.ListAsync(host.AdminActor, new ListKmipClientsRequest(project.Id.ToString(), 1, 1, "DB-"), _ct);

        Assert.Equal(["array-1", "db-a", "db-b", "db-c"], all.Clients.Select(c => c.Name));
        Assert.Equal(4, all.TotalCount);
        Assert.Equal(["db-b"], page.Clients.Select(c => c.Name));
        Assert.Equal(3, page.TotalCount);
    }

    [Fact]
    public async Task Update_NameDescriptionPermissions_ChangesThemAndRecordsTheFields()
    {
        KmipClient client = await host.CreateClientAsync("netapp-old");

        KmipClient updated = await Clients.UpdateAsync(host.AdminActor, client.Id.ToString(),
            new UpdateKmipClientRequest("netapp", "storage array", KmipPermissions.Encrypt | KmipPermissions.Decrypt), _ct);

        Assert.Equal(("netapp", "storage array"), (updated.Name, updated.Description));
        Assert.Equal(["encrypt", "decrypt"], (await Clients.GetAsync(host.AdminActor, client.Id.ToString(), _ct)).Permissions.ToWire());
        AuditEvent record = Assert.Single(await RecordsAsync(AuditEventTypes.UpdateKmipClient, client));
        Assert.Equal("description,name,permissions", record.Metadata["changedFields"]);
    }

    [Fact]
    public async Task Update_ToAnotherClientsName_IsRefused()
    {
        await host.CreateClientAsync("taken-name");
        KmipClient client = await host.CreateClientAsync("free-name");

        KmsBadRequestException error = await Assert.ThrowsAsync<KmsBadRequestException>(() =>
            Clients.UpdateAsync(host.AdminActor, client.Id.ToString(), new UpdateKmipClientRequest("taken-name", null, null), _ct));

        Assert.StartsWith("A KMIP client with the name \"taken-name\" already exists", error.Message);
    }

    [Fact]
    public async Task Revoke_Client_SetsRevokedAtRefusesASecondRevokeAndNewCertificates()
    {
        KmipClient client = await host.CreateClientAsync("to-revoke");
        string id = client.Id.ToString();

        KmipClient revoked = await Clients.RevokeAsync(host.AdminActor, id, _ct);
        KmsBadRequestException again = await Assert.ThrowsAsync<KmsBadRequestException>(() => Clients.RevokeAsync(host.AdminActor, id, _ct));
        KmsBadRequestException issue = await Assert.ThrowsAsync<KmsBadRequestException>(() => IssueAsync(client, KmipCertificateKeyAlgorithm.EcP256));

        Assert.NotNull(revoked.RevokedAt);
        Assert.NotNull((await Clients.GetAsync(host.AdminActor, id, _ct)).RevokedAt);
        Assert.Equal($"KMIP client with ID '{id}' is already revoked", again.Message);
        Assert.Equal($"KMIP client with ID '{id}' is revoked: it cannot be issued certificates", issue.Message);
        Assert.Single(await RecordsAsync(AuditEventTypes.RevokeKmipClient, client), r => r.Outcome == "success");
    }

    [Fact]
    public async Task Delete_Client_RemovesItWithItsCertificates()
    {
        KmipClient client = await host.CreateClientAsync("to-delete");
        await IssueAsync(client, KmipCertificateKeyAlgorithm.EcP256);

        await Clients.DeleteAsync(host.AdminActor, client.Id.ToString(), _ct);

        KmsNotFoundException error = await Assert.ThrowsAsync<KmsNotFoundException>(() => Clients.GetAsync(host.AdminActor, client.Id.ToString(), _ct));
        Assert.Equal($"KMIP client with ID '{client.Id}' not found", error.Message);
        await using KmsDbContext db = await host.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        Assert.False(await db.KmipCertificates.AnyAsync(c => c.ClientId == client.Id));
        Assert.Single(await RecordsAsync(AuditEventTypes.DeleteKmipClient, client));
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("0198a9b2-0000-7000-8000-000000000000")]
    public async Task Get_UnknownClient_IsNotFound(string clientId)
    {
        KmsNotFoundException error = await Assert.ThrowsAsync<KmsNotFoundException>(() => Clients.GetAsync(host.AdminActor, clientId, _ct));

        Assert.Equal($"KMIP client with ID '{clientId}' not found", error.Message);
    }

    [Theory]
    [InlineData(KmipCertificateKeyAlgorithm.Rsa2048, "1.2.840.113549.1.1.1", 2048)]
    [InlineData(KmipCertificateKeyAlgorithm.Rsa4096, "1.2.840.113549.1.1.1", 4096)]
    [InlineData(KmipCertificateKeyAlgorithm.EcP256, "1.2.840.10045.2.1", 256)]
    [InlineData(KmipCertificateKeyAlgorithm.EcP384, "1.2.840.10045.2.1", 384)]
    public async Task IssueCertificate_ByKeyAlgorithm_ReturnsTheKeyPairOnceAndStoresOnlyTheCertificate(
        KmipCertificateKeyAlgorithm algorithm, string keyOid, int keySize)
    {
        KmipClient client = await host.CreateClientAsync("algo-" + algorithm.ToString().ToLowerInvariant());

        KmipIssuedCertificate issued = await IssueAsync(client, algorithm, TimeSpan.FromDays(7));
        using X509Certificate2 certificate = Parse(issued.CertificatePem);

        Assert.Equal(keyOid, certificate.PublicKey.Oid.Value);
        Assert.Equal(keySize, KeySize(certificate));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----\n", issued.PrivateKeyPem);
        Assert.EndsWith("-----END PRIVATE KEY-----\n", issued.PrivateKeyPem);
        Assert.DoesNotContain("\r", issued.PrivateKeyPem + issued.CertificatePem);
        Assert.True(PublicKeysMatch(certificate, issued.PrivateKeyPem!));
        Assert.Equal(issued.NotAfter, certificate.NotAfter.ToUniversalTime());
        Assert.InRange(issued.NotAfter - issued.NotBefore, TimeSpan.FromDays(7), TimeSpan.FromDays(7).Add(TimeSpan.FromMinutes(6)));
        Assert.DoesNotContain(issued.PrivateKeyPem!, issued.ToString());
        await AssertStoredAsync(issued, certificate);
        await AssertPrivateKeyNowhereAsync(issued.PrivateKeyPem!);
        AuditEvent record = Assert.Single(await RecordsAsync(AuditEventTypes.IssueKmipClientCertificate, client));
        Assert.Equal(("user", host.AdminActor.Id), (record.ActorType, record.ActorId));
        Assert.Equal(issued.SerialNumber, record.Metadata["serialNumber"]);
        Assert.Equal(client.Name, record.Metadata["clientName"]);
    }

    [Fact]
    public async Task IssueCertificate_NoTtl_LastsTheConfiguredDefaultOf365Days()
    {
        KmipClient client = await host.CreateClientAsync("default-ttl");

        KmipIssuedCertificate issued = await Clients.IssueCertificateAsync(host.AdminActor, client.Id.ToString(),
            new IssueKmipCertificateRequest(KmipCertificateKeyAlgorithm.EcP256, null, Ttl: null), _ct);


        Assert.InRange((issued.NotAfter - DateTime.UtcNow).TotalDays, 364.99, 365.01);
    }

    [Fact]
    public async Task IssueCertificate_CsrFromOpenSsl_CertifiesItsKeyUnderOurSubjectWithoutPrivateKey()
    {
        KmipClient client = await host.CreateClientAsync("openssl-csr");
        (string csr, string privateKey) = await KmipCsr.OpenSslAsync();

        KmipIssuedCertificate issued = await Clients.IssueCertificateAsync(host.AdminActor, client.Id.ToString(),
            new IssueKmipCertificateRequest(null, csr, TimeSpan.FromDays(1)), _ct);
        using X509Certificate2 certificate = Parse(issued.CertificatePem);

        Assert.Null(issued.PrivateKeyPem);
        Assert.True(PublicKeysMatch(certificate, privateKey));
        Assert.Equal(client.Id.ToString(), Subject(certificate, "2.5.4.3"));
        Assert.Equal("InfisicalKms", Subject(certificate, "2.5.4.10"));
        Assert.Equal([ClientAuth], ExtendedKeyUsages(certificate));
        await AssertStoredAsync(issued, certificate);
    }

    [Fact]
    public async Task IssueCertificate_CsrMadeInDotNetAskingForMore_GetsOnlyOurNamesAndUsages()
    {
        KmipClient client = await host.CreateClientAsync("dotnet-csr");
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        KmipIssuedCertificate issued = await Clients.IssueCertificateAsync(host.AdminActor, client.Id.ToString(),
            new IssueKmipCertificateRequest(null, KmipCsr.Greedy(key), null), _ct);
        using X509Certificate2 certificate = Parse(issued.CertificatePem);

        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(["dotnet-csr"], DnsNames(certificate));
        Assert.Equal([ClientAuth], ExtendedKeyUsages(certificate));
        Assert.False(BasicConstraints(certificate).CertificateAuthority);
    }

    [Theory]
    [InlineData("garbage", KmipCertificateProfiles.InvalidCsr)]
    [InlineData("tampered", KmipCertificateProfiles.CsrSignatureInvalid)]
    [InlineData("rsa1024", KmipCertificateProfiles.CsrKeyRefused)]
    [InlineData("p521", KmipCertificateProfiles.CsrKeyRefused)]
    public async Task IssueCertificate_BadCsr_IsRefusedWith400(string kind, string message)
    {
        KmipClient client = await host.CreateClientAsync("bad-csr-" + kind);

        KmsBadRequestException error = await Assert.ThrowsAsync<KmsBadRequestException>(() => Clients.IssueCertificateAsync(
            host.AdminActor, client.Id.ToString(), new IssueKmipCertificateRequest(null, KmipCsr.Bad(kind), null), _ct));

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData(true, 1, "csr")]
    [InlineData(false, 0, "ttl")]
    [InlineData(false, 3651, "ttl")]
    public async Task IssueCertificate_BothKeySourcesOrTtlOutOfBounds_IsAValidationError(bool both, int days, string field)
    {
        KmipClient client = await host.CreateClientAsync($"invalid-issue-{field}-{days}");
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        KmsValidationException error = await Assert.ThrowsAsync<KmsValidationException>(() => Clients.IssueCertificateAsync(host.AdminActor,
            client.Id.ToString(), new IssueKmipCertificateRequest(both ? KmipCertificateKeyAlgorithm.EcP256 : null, both ? KmipCsr.Greedy(key) : null,
                TimeSpan.FromDays(days)), _ct));

        Assert.Equal(field, Assert.Single(error.Issues).Field);
    }

    [Theory]
    [InlineData(ProjectRole.Member)]
    [InlineData(ProjectRole.Viewer)]
    public async Task ReadOnlyRoles_MayReadButNotChange(ProjectRole role)
    {
        KmipClient client = await host.CreateClientAsync("guarded-" + role.ToWire());
        Actor actor = await host.MemberAsync(host.Project, role);
        string id = client.Id.ToString();

        Assert.Equal(client.Id, (await Clients.GetAsync(actor, id, _ct)).Id);
        Assert.Contains(client.Id, (await Clients.ListAsync(actor, new ListKmipClientsRequest(host.Project.Id.ToString()), _ct)).Clients.Select(c => c.Id));
        Assert.NotNull(await Clients.ListCertificatesAsync(actor, id, _ct));
        await AssertDeniedAsync("create-clients", () => Clients.CreateAsync(actor, new CreateKmipClientRequest(host.Project.Id.ToString(), "by-" + role.ToWire(), null, 0), _ct));
        await AssertDeniedAsync("update-clients", () => Clients.UpdateAsync(actor, id, new UpdateKmipClientRequest(null, "x", null), _ct));
        await AssertDeniedAsync("update-clients", () => Clients.RevokeAsync(actor, id, _ct));
        await AssertDeniedAsync("delete-clients", () => Clients.DeleteAsync(actor, id, _ct));
        await AssertDeniedAsync("generate-client-certificates", () => IssueAsync(client, KmipCertificateKeyAlgorithm.EcP256, actor: actor));
        Assert.Null((await Clients.GetAsync(host.AdminActor, id, _ct)).RevokedAt);
    }

    [Fact]
    public async Task NonMember_IsToldTheClientAndTheProjectDoNotExist()
    {
        KmipClient client = await host.CreateClientAsync("hidden-client");
        Actor outsider = await host.OutsiderAsync();
        string id = client.Id.ToString();

        foreach (Func<Task> call in new Func<Task>[]
        {
            () => Clients.GetAsync(outsider, id, _ct),
            () => Clients.ListCertificatesAsync(outsider, id, _ct),
            () => Clients.UpdateAsync(outsider, id, new UpdateKmipClientRequest(null, "x", null), _ct),
            () => Clients.RevokeAsync(outsider, id, _ct),
            () => Clients.DeleteAsync(outsider, id, _ct),
            () => IssueAsync(client, KmipCertificateKeyAlgorithm.EcP256, actor: outsider),
        })
        {
            Assert.Equal($"KMIP client with ID '{id}' not found", (await Assert.ThrowsAsync<KmsNotFoundException>(call)).Message);
        }

        KmsNotFoundException list = await Assert.ThrowsAsync<KmsNotFoundException>(() =>
            Clients.ListAsync(outsider, new ListKmipClientsRequest(host.Project.Id.ToString()), _ct));
        Assert.Equal($"Project with ID \"{host.Project.Id}\" not found", list.Message);
    }

    [Fact]
    public async Task AuditRecords_OfEveryClientChange_NeverHoldThePrivateKey()
    {
        KmipClient client = await host.CreateClientAsync("audited-client");
        KmipIssuedCertificate issued = await IssueAsync(client, KmipCertificateKeyAlgorithm.Rsa2048);
        await Clients.UpdateAsync(host.AdminActor, client.Id.ToString(), new UpdateKmipClientRequest(null, "changed", null), _ct);
        await Clients.RevokeAsync(host.AdminActor, client.Id.ToString(), _ct);

        string dump = await host.DumpDatabaseAsync();
        string audit = string.Join("\n", dump.Split('\n').Where(l => l.StartsWith("AuditEvents.", StringComparison.Ordinal)));

        Assert.Contains(issued.SerialNumber, audit);
        Assert.DoesNotContain("PRIVATE KEY", audit);
        Assert.DoesNotContain(Base64Body(issued.PrivateKeyPem!)[100..160], audit);
    }

    /// <summary>A certificate for <paramref name="client"/>, valid for <paramref name="ttl"/> (a day by default).</summary>
    private Task<KmipIssuedCertificate> IssueAsync(KmipClient client, KmipCertificateKeyAlgorithm algorithm, TimeSpan? ttl = default, Actor? actor = null) =>
        Clients.IssueCertificateAsync(actor ?? host.AdminActor, client.Id.ToString(), new IssueKmipCertificateRequest(algorithm, null, ttl ?? TimeSpan.FromDays(1)), _ct);

    /// <summary>The project's records of <paramref name="eventType"/> about <paramref name="client"/>.</summary>
    private async Task<IReadOnlyList<AuditEvent>> RecordsAsync(string eventType, KmipClient client) =>
        (await host.AuditRecordsAsync(client.ProjectId, eventType)).Where(r => r.Metadata.GetValueOrDefault("clientId") == client.Id.ToString()).ToList();

    /// <summary>The stored row is the certificate's serial and SHA-256 thumbprint, and that is all a row can hold.</summary>
    private async Task AssertStoredAsync(KmipIssuedCertificate issued, X509Certificate2 certificate)
    {
        await using KmsDbContext db = await host.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        KmipCertificate row = await db.KmipCertificates.SingleAsync(c => c.SerialNumber == issued.SerialNumber);
        Assert.Equal(SHA256.HashData(certificate.RawData), row.Thumbprint);
        Assert.Equal((issued.NotBefore, issued.NotAfter), (row.NotBefore, row.NotAfter));
        Assert.Equal(
            ["ClientId", "CreatedAt", "Id", "NotAfter", "NotBefore", "SerialNumber", "Thumbprint"],
            db.Model.FindEntityType(typeof(KmipCertificate))!.GetProperties().Select(p => p.Name).Order());
    }

    /// <summary>No value of any table holds the key: neither its PEM text nor its DER bytes (base64 or hex).</summary>
    private async Task AssertPrivateKeyNowhereAsync(string privateKeyPem)
    {
        string body = Base64Body(privateKeyPem);
        byte[] der = Convert.FromBase64String(body);
        string dump = await host.DumpDatabaseAsync();
        Assert.DoesNotContain(body[60..120], dump);
        Assert.DoesNotContain(Convert.ToHexString(der.AsSpan(40, 24)), dump);
    }

    private static string Base64Body(string pem) => string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)));

    private static int KeySize(X509Certificate2 certificate)
    {
        using AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetRSAPublicKey() ?? certificate.GetECDsaPublicKey()!;
        return key.KeySize;
    }

    private static async Task AssertDeniedAsync(string action, Func<Task> call)
    {
        KmsPermissionDeniedException denied = await Assert.ThrowsAsync<KmsPermissionDeniedException>(call);
        Assert.Equal($"You are not allowed to {action} on kmip", denied.Message);
    }
}
