using System.Net;
using System.Security.Cryptography;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Operations;
using InfisicalKms.Tests.Web.Startup;
using InfisicalKms.Web.Operations;
using Microsoft.AspNetCore.Mvc.Testing;

namespace InfisicalKms.Tests.Web.Operations;

/// <summary>
/// <c>Kms:Metrics:Port</c>: the metrics on a port of their own, without a token, and no longer on the server's
/// port; bad values of <c>Kms:Metrics:Port</c> and <c>Kms:Metrics:Host</c> refuse start-up naming the setting.
/// </summary>
[Trait("Category", "SqliteOnly")]
public sealed class MetricsPortTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-metrics-" + Guid.NewGuid().ToString("N"));

    private TestDatabase _database = default!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, _directory);

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task MetricsPort_ServesWithoutATokenOnLoopback_AndNotOnTheServersPort()
    {
        int port = LoopbackPort.Free();
        await using var factory = new KmsWebApplicationFactory();
        await using WebApplicationFactory<Program> configured = factory.WithWebHostBuilder(b => b.UseSetting(MetricsOptions.PortKey, port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        HttpClient server = configured.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/api/status")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await server.GetAsync("/metrics")).StatusCode);

        using var scraper = new HttpClient();
        HttpResponseMessage response = await scraper.GetAsync($"http://127.0.0.1:{port}/metrics");
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var scrape = new PrometheusText(text);
        Assert.True(scrape.Has("infisicalkms_cache_lookups"), text);
        Assert.True(scrape.Sum("microsoft_aspnetcore_hosting_http_server_request_duration_count", ("http_route", "/api/status")) >= 1, text);
        Assert.False(response.Headers.Contains("Server"));
        Assert.Equal(HttpStatusCode.NotFound, (await scraper.GetAsync($"http://127.0.0.1:{port}/api/status")).StatusCode);
    }

    [Theory]
    [InlineData("Kms__Metrics__Port", "0", "Kms:Metrics:Port must be a port number from 1 to 65535.")]
    [InlineData("Kms__Metrics__Port", "http", "Kms:Metrics:Port must be a port number from 1 to 65535.")]
    [InlineData("Kms__Metrics__Host", "metrics.example", "Kms:Metrics:Host must be an IP address to listen on, such as 127.0.0.1 or 0.0.0.0.")]
    public async Task Start_WithABadMetricsSetting_RefusesNamingTheSetting(string variable, string value, string message)
    {
        var variables = new Dictionary<string, string>
        {
            ["ROOT_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            [variable] = value,
        };
        await using ServerProcess server = ServerProcess.Start("Production", _directory, _database, variables);

        Assert.Equal(1, await server.WaitForExitAsync(Timeout));
        Assert.Contains(message, server.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.StandardError, StringComparison.Ordinal);
    }
}
