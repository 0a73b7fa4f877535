using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static InfisicalKms.Tests.Core.Kmip.KmipCertificates;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>
/// The instance's KMIP certificate authority on a real database: made once, its key sealed by the root key, kept
/// across restarts; the server and client certificates it issues; and which client certificates it accepts.
/// </summary>
public sealed class KmipCertificateAuthorityTests(KmipCoreHost host) : IClassFixture<KmipCoreHost>
{
    private readonly CancellationToken _ct = CancellationToken.None;

    [Fact]
    public async Task EnsureCreated_AgainAndFromAnotherProcess_KeepsTheOneCa()
    {
        await host.Authority.EnsureCreatedAsync(_ct);
        KmipAuthorityRecord first = await AuthorityRowAsync(host.Services);

        await host.Authority.EnsureCreatedAsync(_ct);
        IServiceProvider other = await host.StartProcessAsync();
        await other.GetRequiredService<KmipCertificateAuthority>().EnsureCreatedAsync(_ct);

        await using KmsDbContext db = await Db(host.Services);
        Assert.Equal(1, await db.KmipAuthority.CountAsync());
        KmipAuthorityRecord after = await AuthorityRowAsync(other);
        Assert.Equal(first.CertificateDer, after.CertificateDer);
        Assert.Equal(first.WrappedPrivateKey, after.WrappedPrivateKey);
    }

    [Fact]
    public async Task Ca_Created_IsAnRsa3072RootForTenYearsWithItsKeyStoredOnlySealed()
    {
        using X509Certificate2 ca = await host.Authority.GetCertificateAsync(_ct);
        KmipAuthorityRecord row = await AuthorityRowAsync(host.Services);

        Assert.Equal("CN=InfisicalKms KMIP CA", ca.Subject);
        Assert.Equal(ca.Subject, ca.Issuer);
        Assert.True(BasicConstraints(ca) is { CertificateAuthority: true, Critical: true });
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, KeyUsage(ca));
        Assert.Equal(3072, ca.GetRSAPublicKey()!.KeySize);
        Assert.InRange((ca.NotAfter - ca.NotBefore).TotalDays, 3650, 3654);
        Assert.Equal(ca.RawData, row.CertificateDer);

        // The stored bytes are sealed: they open under the root key to the CA's PKCS#8 key, and do not contain it.
        byte[] pkcs8 = host.Services.GetRequiredService<EnvelopeEncryptor>().Open(KmipCertificateAuthority.SealPurpose, row.WrappedPrivateKey);
        using RSA key = RSA.Create();
        key.ImportPkcs8PrivateKey(pkcs8, out _);
        Assert.Equal(ca.PublicKey.ExportSubjectPublicKeyInfo(), key.ExportSubjectPublicKeyInfo());
        Assert.False(row.WrappedPrivateKey.AsSpan().IndexOf(pkcs8.AsSpan(100, 64)) >= 0, "the stored CA key holds PKCS#8 bytes in the clear");
        Assert.DoesNotContain(Convert.ToBase64String(pkcs8)[200..260], await host.DumpDatabaseAsync());
    }

    [Fact]
    public async Task Restart_SameRootKey_KeepsTheCaAndItsKeyStillSigns()
    {
        using X509Certificate2 before = await host.Authority.GetCertificateAsync(_ct);

        IServiceProvider restarted = await host.StartProcessAsync();
        KmipCertificateAuthority authority = restarted.GetRequiredService<KmipCertificateAuthority>();
        using X509Certificate2 after = await authority.GetCertificateAsync(_ct);
        using X509Certificate2 server = await authority.IssueServerCertificateAsync(["kmip.example.com"], TimeSpan.FromDays(1), _ct);

        Assert.Equal(before.RawData, after.RawData);
        Assert.True(ChainsTo(server, before));
    }

    [Fact]
    public async Task IssueServerCertificate_Names_AreDnsAndIpSansWithServerAuthAndItChainsToTheCa()
    {
        using X509Certificate2 ca = await host.Authority.GetCertificateAsync(_ct);

        using X509Certificate2 server = await host.Authority.IssueServerCertificateAsync(
            ["kmip.example.com", "localhost", "127.0.0.1", "::1"], TimeSpan.FromDays(30), _ct);

        Assert.True(server.HasPrivateKey);
        Assert.Equal(["kmip.example.com", "localhost"], DnsNames(server));
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], IpAddresses(server));
        Assert.Equal([ServerAuth], ExtendedKeyUsages(server));
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, KeyUsage(server));
        Assert.False(BasicConstraints(server).CertificateAuthority);
        Assert.Equal(2048, server.GetRSAPublicKey()!.KeySize);
        Assert.InRange((server.NotAfter - DateTime.Now).TotalDays, 29.9, 30.1);
        Assert.True(ChainsTo(server, ca));
    }

    [Fact]
    public async Task IssueCertificate_ForAClient_NamesTheClientWithClientAuthAndChainsToTheCa()
    {
        KmipClient client = await host.CreateClientAsync("mysql-primary");
        using X509Certificate2 ca = await host.Authority.GetCertificateAsync(_ct);

        KmipIssuedCertificate issued = await IssueAsync(client);
        using X509Certificate2 certificate = Parse(issued.CertificatePem);

        Assert.Equal(client.Id.ToString(), Subject(certificate, "2.5.4.3"));
        Assert.Equal(client.ProjectId.ToString(), Subject(certificate, "2.5.4.11"));
        Assert.Equal("InfisicalKms", Subject(certificate, "2.5.4.10"));
        Assert.Equal([$"urn:infisical-kms:kmip-client:{client.Id}"], Uris(certificate));
        Assert.Equal(["mysql-primary"], DnsNames(certificate));
        Assert.Equal([ClientAuth], ExtendedKeyUsages(certificate));
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, KeyUsage(certificate));
        Assert.False(BasicConstraints(certificate).CertificateAuthority);
        Assert.Equal(ca.Subject, certificate.Issuer);
        Assert.Matches("^[0-9A-F]{32}$", issued.SerialNumber);
        Assert.Equal(issued.SerialNumber, certificate.SerialNumber);
        Assert.Equal(ca.ExportCertificatePem() + "\n", issued.CaCertificatePem);
        Assert.True(ChainsTo(certificate, ca));
    }

    [Fact]
    public async Task IsValidClientCertificate_Issued_True()
    {
        using X509Certificate2 certificate = Parse((await IssueAsync(await host.CreateClientAsync("valid-client"))).CertificatePem);

        Assert.True(host.Authority.IsValidClientCertificate(certificate, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task IsValidClientCertificate_SelfSignedWithTheSameSubjectAndExtensions_False()
    {
        using X509Certificate2 issued = Parse((await IssueAsync(await host.CreateClientAsync("self-signed-twin"))).CertificatePem);

        using X509Certificate2 twin = Imitate(issued);

        Assert.False(host.Authority.IsValidClientCertificate(twin, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task IsValidClientCertificate_FromAnotherCaOfTheSameName_False()
    {
        using X509Certificate2 issued = Parse((await IssueAsync(await host.CreateClientAsync("foreign-twin"))).CertificatePem);
        using X509Certificate2 foreignCa = ForeignAuthority();

        using X509Certificate2 foreign = Imitate(issued, foreignCa);

        Assert.True(ChainsTo(foreign, foreignCa));   // a good certificate, only not ours
        Assert.False(host.Authority.IsValidClientCertificate(foreign, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task IsValidClientCertificate_ExpiredOrNotYetValid_False()
    {
        KmipClient client = await host.CreateClientAsync("expired-client");
        DateTimeOffset now = DateTimeOffset.UtcNow;

        KmipIssuedCertificate expired = await host.Authority.IssueClientCertificateAsync(
            client, KmipCertificateKeyAlgorithm.EcP256, now.AddDays(-10), now.AddDays(-1), _ct);
        KmipIssuedCertificate future = await host.Authority.IssueClientCertificateAsync(
            client, KmipCertificateKeyAlgorithm.EcP256, now.AddDays(1), now.AddDays(10), _ct);
        using X509Certificate2 expiredCertificate = Parse(expired.CertificatePem);
        using X509Certificate2 futureCertificate = Parse(future.CertificatePem);

        Assert.False(host.Authority.IsValidClientCertificate(expiredCertificate, now));
        Assert.False(host.Authority.IsValidClientCertificate(futureCertificate, now));
        Assert.True(host.Authority.IsValidClientCertificate(futureCertificate, now.AddDays(2)));   // only its dates fail it
        await using KmsDbContext db = await Db(host.Services);
        Assert.Equal(2, await db.KmipCertificates.CountAsync(c => c.ClientId == client.Id));
    }

    [Fact]
    public async Task IsValidClientCertificate_WithoutClientAuthOrTheCaItself_False()
    {
        using X509Certificate2 server = await host.Authority.IssueServerCertificateAsync(["kmip.example.com"], TimeSpan.FromDays(1), _ct);
        using X509Certificate2 ca = await host.Authority.GetCertificateAsync(_ct);

        Assert.True(ChainsTo(server, ca));   // ours, but a server certificate
        Assert.False(host.Authority.IsValidClientCertificate(server, DateTimeOffset.UtcNow));
        Assert.False(host.Authority.IsValidClientCertificate(ca, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task OpenSslVerify_IssuedCertificates_PassForTheirPurpose()
    {
        KmipIssuedCertificate issued = await IssueAsync(await host.CreateClientAsync("openssl-client"));
        using X509Certificate2 server = await host.Authority.IssueServerCertificateAsync(["localhost", "127.0.0.1"], TimeSpan.FromDays(1), _ct);
        string folder = Directory.CreateTempSubdirectory("kmip-openssl-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "ca.pem"), issued.CaCertificatePem);
            await File.WriteAllTextAsync(Path.Combine(folder, "client.pem"), issued.CertificatePem);
            await File.WriteAllTextAsync(Path.Combine(folder, "server.pem"), server.ExportCertificatePem());

            string client = await ExternalTools.RunOkAsync("openssl",
                ["verify", "-CAfile", Path.Combine(folder, "ca.pem"), "-purpose", "sslclient", Path.Combine(folder, "client.pem")]);
            string serverCheck = await ExternalTools.RunOkAsync("openssl",
                ["verify", "-CAfile", Path.Combine(folder, "ca.pem"), "-purpose", "sslserver", Path.Combine(folder, "server.pem")]);
            ToolResult wrongPurpose = await ExternalTools.RunAsync("openssl",
                ["verify", "-CAfile", Path.Combine(folder, "ca.pem"), "-purpose", "sslserver", Path.Combine(folder, "client.pem")]);

            Assert.EndsWith("client.pem: OK\n", client);
            Assert.EndsWith("server.pem: OK\n", serverCheck);
            Assert.NotEqual(0, wrongPurpose.ExitCode);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private Task<KmipIssuedCertificate> IssueAsync(KmipClient client) =>
        host.Clients.IssueCertificateAsync(host.AdminActor, client.Id.ToString(),
            new IssueKmipCertificateRequest(KmipCertificateKeyAlgorithm.EcP256, null, TimeSpan.FromDays(30)), _ct);

    private static async Task<KmsDbContext> Db(IServiceProvider services) =>
        await services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();

    private static async Task<KmipAuthorityRecord> AuthorityRowAsync(IServiceProvider services)
    {
        await using KmsDbContext db = await Db(services);
        return await db.KmipAuthority.AsNoTracking().SingleAsync();
    }
}
