using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Tests.Core.Kmip;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Core.Kmip.KmipCertificates;
using static InfisicalKms.Tests.Web.Api.AuthTestHelpers;

namespace InfisicalKms.Tests.Web.Api.Kmip;

/// <summary>Client certificates over the API: issued by key algorithm or CSR, listed, refused when they must be, and audited.</summary>
[Collection(KmipApiCollection.Name)]
public sealed class KmipCertificateEndpointsTests(KmipApiFactory factory)
{
    private const string Clients = KmipApiFactory.Clients;

    [Theory]
    [InlineData("RSA_2048", 2048)]
    [InlineData("RSA_4096", 4096)]
    [InlineData("EC_prime256v1", 256)]
    [InlineData("EC_secp384r1", 384)]
    public async Task Issue_KeyAlgorithm_ReturnsCertificateChainAndTheMatchingPrivateKeyOnce(string keyAlgorithm, int keySize)
    {
        (HttpClient admin, string id) = await ClientAsync("algo-" + keyAlgorithm.ToLowerInvariant().Replace('_', '-'));

        JsonObject issued = await ApiAssert.OkAsync(await admin.PostAsJsonAsync($"{Clients}/{id}/certificates", new { keyAlgorithm, ttl = "30d" }));

        AssertMembers(issued, "serialNumber", "certificate", "certificateChain", "privateKey", "notBefore", "notAfter");
        using X509Certificate2 certificate = Parse((string)issued["certificate"]!);
        using X509Certificate2 ca = Parse((string)issued["certificateChain"]!);
        string privateKey = (string)issued["privateKey"]!;
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----\n", privateKey);
        Assert.True(PublicKeysMatch(certificate, privateKey));
        Assert.Equal(keySize, ((AsymmetricAlgorithm?)certificate.GetRSAPublicKey() ?? certificate.GetECDsaPublicKey())!.KeySize);
        Assert.Equal((string?)issued["serialNumber"], certificate.SerialNumber);
        Assert.Equal(id, Subject(certificate, "2.5.4.3"));
        Assert.True(ChainsTo(certificate, ca));
        Assert.Matches(Timestamp, (string)issued["notAfter"]!);
        Assert.InRange((certificate.NotAfter.ToUniversalTime() - DateTime.UtcNow).TotalDays, 29.9, 30.1);

        JsonObject status = await ApiAssert.OkAsync(await admin.GetAsync("/api/v1/kmip"));
        Assert.Equal((string?)issued["certificateChain"], (string?)status["caCertificate"]);
        JsonObject list = await ApiAssert.OkAsync(await admin.GetAsync($"{Clients}/{id}/certificates"));
        JsonObject listed = Assert.Single(list["certificates"]!.AsArray())!.AsObject();
        AssertMembers(listed, "serialNumber", "notBefore", "notAfter", "createdAt");
        Assert.Equal((string?)issued["serialNumber"], (string?)listed["serialNumber"]);
    }

    [Fact]
    public async Task Issue_EmptyBody_IsRsa2048ForTheDefaultLifetime()
    {
        (HttpClient admin, string id) = await ClientAsync("defaults");

        JsonObject issued = await ApiAssert.OkAsync(await admin.PostAsJsonAsync($"{Clients}/{id}/certificates", new { }));

        using X509Certificate2 certificate = Parse((string)issued["certificate"]!);
        Assert.Equal(2048, certificate.GetRSAPublicKey()!.KeySize);
        Assert.InRange((certificate.NotAfter.ToUniversalTime() - DateTime.UtcNow).TotalDays, 364.9, 365.1);
    }

    [Fact]
    public async Task Issue_OpenSslCsr_CertifiesItsKeyAndReturnsNoPrivateKey()
    {
        (HttpClient admin, string id) = await ClientAsync("bring-your-own");
        (string csr, string privateKey) = await KmipCsr.OpenSslAsync();

        JsonObject issued = await ApiAssert.OkAsync(await admin.PostAsJsonAsync($"{Clients}/{id}/certificates", new { csr, ttl = "12h" }));

        AssertMembers(issued, "serialNumber", "certificate", "certificateChain", "notBefore", "notAfter");
        using X509Certificate2 certificate = Parse((string)issued["certificate"]!);
        Assert.True(PublicKeysMatch(certificate, privateKey));
        Assert.Equal([ClientAuth], ExtendedKeyUsages(certificate));
    }

    [Theory]
    [InlineData("""{"keyAlgorithm":"RSA_1024"}""",
        "keyAlgorithm: Invalid enum value. Expected 'RSA_2048' | 'RSA_4096' | 'EC_prime256v1' | 'EC_secp384r1', received 'RSA_1024'")]
    [InlineData("""{"keyAlgorithm":"RSA_2048","csr":"CSR"}""", "csr: " + KmipClientRules.BothKeySources)]
    [InlineData("""{"ttl":"30x"}""", "ttl: " + KmipClientRules.TtlFormatMessage)]
    [InlineData("""{"ttl":"30 d"}""", "ttl: " + KmipClientRules.TtlFormatMessage)]
    [InlineData("""{"ttl":"0d"}""", "ttl: " + KmipClientRules.TtlPositiveMessage)]
    [InlineData("""{"ttl":"3651d"}""", "ttl: TTL must be at most 3650 days")]
    [InlineData("""{"ttl":"11y"}""", "ttl: TTL must be at most 3650 days")]
    [InlineData("""{"ttl":30}""", "ttl: Expected string, received number")]
    public async Task Issue_InvalidBody_Returns422(string json, string message)
    {
        (HttpClient admin, string id) = await ClientAsync("invalid-" + Guid.NewGuid().ToString("N")[..8]);
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string csr = JsonValue.Create(KmipCsr.Greedy(key)).ToJsonString()[1..^1];   // escaped for a JSON string

        HttpResponseMessage response = await admin.PostAsync($"{Clients}/{id}/certificates", Json(json.Replace("CSR", csr, StringComparison.Ordinal)));

        await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task Issue_NotACsr_Returns400()
    {
        (HttpClient admin, string id) = await ClientAsync("not-a-csr");

        HttpResponseMessage response = await admin.PostAsJsonAsync($"{Clients}/{id}/certificates", new { csr = KmipCsr.Bad("garbage") });

        await ApiAssert.ErrorAsync(response, 400, "BadRequest", "The CSR is not a valid PKCS#10 certificate request");
    }

    [Fact]
    public async Task Issue_RevokedClient_Returns400()
    {
        (HttpClient admin, string id) = await ClientAsync("revoked-client");
        await ApiAssert.OkAsync(await admin.PostAsJsonAsync($"{Clients}/{id}/revoke", new { }));

        HttpResponseMessage response = await admin.PostAsJsonAsync($"{Clients}/{id}/certificates", new { keyAlgorithm = "EC_prime256v1" });

        await ApiAssert.ErrorAsync(response, 400, "BadRequest", $"KMIP client with ID '{id}' is revoked: it cannot be issued certificates");
    }

    [Fact]
    public async Task Issue_Certificate_IsAuditedWithTheIdentityAsActorAndWithoutTheKey()
    {
        (HttpClient admin, string id) = await ClientAsync("audited");
        AdminContext context = await factory.AdminAsync();
        string projectId = (string)(await ApiAssert.OkAsync(await admin.GetAsync($"{Clients}/{id}")))["projectId"]!;

        JsonObject issued = await ApiAssert.OkAsync(await admin.PostAsJsonAsync($"{Clients}/{id}/certificates", new { keyAlgorithm = "EC_prime256v1" }));
        HttpResponseMessage logs = await admin.GetAsync($"/api/v1/projects/{projectId}/audit-logs?eventType=issue-kmip-client-certificate");

        string text = await logs.Content.ReadAsStringAsync();
        JsonObject record = Assert.Single((await ApiAssert.OkAsync(logs))["auditLogs"]!.AsArray())!.AsObject();
        Assert.Equal(("identity", context.IdentityId), ((string?)record["actor"]!["type"], (string?)record["actor"]!["id"]));
        Assert.Equal((string?)issued["serialNumber"], (string?)record["metadata"]!["serialNumber"]);
        Assert.Equal(id, (string?)record["metadata"]!["clientId"]);
        Assert.DoesNotContain("PRIVATE KEY", text);
    }

    /// <summary>A new project with one KMIP client, and the organization admin's client.</summary>
    private async Task<(HttpClient Admin, string ClientId)> ClientAsync(string name)
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "KMIP " + name);
        return (admin.Client, (string)(await factory.CreateClientAsync(projectId, name, "get", "encrypt"))["id"]!);
    }
}
