using System.Net;
using System.Net.Http.Json;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api.Operations;

/// <summary>
/// <c>GET /metrics</c> on the server's own port: organization admins only. A scrape parses as Prometheus text
/// and its counters move with the operations made between two scrapes.
/// </summary>
public sealed class MetricsTests(PeerAddressKmsFactory factory) : IClassFixture<PeerAddressKmsFactory>
{
    [Fact]
    public async Task Metrics_WithoutAToken_401AndWithAMemberToken_403()
    {
        AdminContext admin = await factory.AdminAsync();
        await ApiAssert.ErrorAsync(await factory.CreateClient().GetAsync("/metrics"), 401, "UnauthorizedError", "Token missing");

        ApiCaller member = await AuthTestHelpers.CreateCallerAsync(factory, admin, "metrics-member-" + KeyApi.UniqueName());
        await ApiAssert.ErrorAsync(await member.Client.GetAsync("/metrics"), 403, "PermissionDenied",
            "You are not allowed to read on the metrics of this instance");
    }

    [Fact]
    public async Task Metrics_AsInstanceAdmin_CountersMoveWithTheOperations()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await AuthTestHelpers.CreateProjectIdAsync(admin.Client, "Metrics " + KeyApi.UniqueName());
        string aesKey = await AuthTestHelpers.CreateAesKeyAsync(admin.Client, projectId, KeyApi.UniqueName());
        HttpResponseMessage created = await admin.Client.PostAsJsonAsync("/api/v1/kms/keys",
            new { projectId, name = KeyApi.UniqueName(), keyUsage = "sign-verify", algorithm = "ECC_NIST_P256" });
        string ecKey = (string)(await ApiAssert.OkAsync(created))["key"]!["id"]!;

        PrometheusText before = await ScrapeAsync(admin.Client);
        for (int i = 0; i < 3; i++)
        {
            await admin.Client.EncryptAsync(aesKey, KeyApi.B64("metrics " + i));
        }

        await admin.Client.SignAsync(ecKey, "ECDSA_SHA_256", KeyApi.B64("signed"));
        await using (await AuditRefusal.StartAsync(factory.Database))
        {
            HttpResponseMessage refused = await admin.Client.PostAsJsonAsync(KeyApi.Key(aesKey) + "/encrypt", new { plaintext = KeyApi.B64("refused") });
            Assert.Equal(HttpStatusCode.InternalServerError, refused.StatusCode);
        }

        HttpResponseMessage failed = await admin.Client.PostAsJsonAsync(KeyApi.Key(aesKey) + "/decrypt", new { ciphertext = KeyApi.B64("not a ciphertext of this key") });
        Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
        PrometheusText after = await ScrapeAsync(admin.Client);

        // prometheus-net names a series after its meter and instrument, and types .NET counters as gauges.
        const string operations = "infisicalkms_crypto_operations";
        Assert.Equal("gauge", after.TypeOf(operations));
        Assert.Equal(3, Delta(before, after, operations, ("operation", "encrypt"), ("algorithm", "aes-256-gcm"), ("outcome", "success")));
        Assert.Equal(1, Delta(before, after, operations, ("operation", "sign"), ("algorithm", "ECC_NIST_P256"), ("outcome", "success")));
        Assert.Equal(1, Delta(before, after, operations, ("operation", "decrypt"), ("algorithm", "aes-256-gcm"), ("outcome", "failure")));

        // Each of the five operations waited for its audit record; the sixth was refused with its record.
        Assert.Equal(5, Delta(before, after, "infisicalkms_audit_kms_audit_records_committed"));
        Assert.True(Delta(before, after, "infisicalkms_audit_kms_audit_commits") >= 1, after.Text);
        Assert.Equal(1, Delta(before, after, "infisicalkms_audit_kms_audit_records_refused"));
        Assert.Equal(0, Delta(before, after, operations, ("operation", "encrypt"), ("outcome", "failure")));

        // The same token each time: a miss at most once, then hits.
        Assert.True(Delta(before, after, "infisicalkms_cache_lookups", ("cache", "tokens"), ("result", "hit")) >= 5, after.Text);
        Assert.True(Delta(before, after, "infisicalkms_cache_lookups", ("cache", "keys"), ("result", "hit")) >= 3, after.Text);

        // ASP.NET Core's request histogram, by route template (never by key ID).
        const string requests = "microsoft_aspnetcore_hosting_http_server_request_duration_count";
        Assert.Equal(3, Delta(before, after, requests, ("http_route", "/api/v1/kms/keys/{keyId}/encrypt"), ("http_response_status_code", "200")));
        Assert.Equal(1, Delta(before, after, requests, ("http_route", "/api/v1/kms/keys/{keyId}/decrypt"), ("http_response_status_code", "400")));
        Assert.Equal("histogram", after.TypeOf("microsoft_aspnetcore_hosting_http_server_request_duration"));
        Assert.DoesNotContain(aesKey, after.Text);

        // The runtime and the process.
        Assert.True(after.Has("process_cpu_seconds_total"), after.Text);
        Assert.True(after.Has("system_runtime_dotnet_gc_heap_total_allocated"), after.Text);
        Assert.DoesNotContain("memory_pool", after.Text);   // Kestrel's buffer pool: nine measurements a request, left out
    }

    private static double Delta(PrometheusText before, PrometheusText after, string name, params (string, string)[] labels) =>
        after.Sum(name, labels) - before.Sum(name, labels);

    private static async Task<PrometheusText> ScrapeAsync(HttpClient client)
    {
        HttpResponseMessage response = await client.GetAsync("/metrics");
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return new PrometheusText(text);
    }
}
