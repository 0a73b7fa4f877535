using System.Globalization;
using System.Net;
using InfisicalKms.Core.Errors;
using InfisicalKms.Web.Api;

namespace InfisicalKms.Web.Operations;

/// <summary>
/// <c>GET /metrics</c>, off the public API either way: on a port of its own (<c>Kms:Metrics:Port</c>, bound to
/// <c>Kms:Metrics:Host</c>, loopback by default) with no token, for a Prometheus scraper on a private network;
/// or, with no port set, on the server's own port for organization admins only (the instance-admin token).
/// </summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public const string PortSetting = "Kms:Metrics:Port";

    public const string HostSetting = "Kms:Metrics:Host";

    public static IHostApplicationBuilder AddKmsMetrics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PrometheusMetrics>();
        if (Listener(builder.Configuration) is { } listener)
        {
            builder.Services.AddHostedService(sp => new MetricsServer(listener, sp.GetRequiredService<PrometheusMetrics>()));
        }

        return builder;
    }

    /// <summary>The bearer-token form, unless the metrics have a port of their own.</summary>
    public static void MapKmsMetrics(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<PrometheusMetrics>();   // counting starts with the server, not the first scrape
        if (Listener(app.Configuration) is null)
        {
            app.MapGet(Path, async (HttpContext http, PrometheusMetrics metrics) =>
            {
                if (!KmsAuthFilter.Caller(http).IsOrgAdmin)
                {
                    throw new KmsPermissionDeniedException("read", "the metrics of this instance");
                }

                await metrics.WriteAsync(http);
            }).AddEndpointFilter<KmsAuthFilter>().ExcludeFromDescription();
        }
    }

    /// <summary>The metrics port's address, or null to serve them on the server's port.</summary>
    /// <exception cref="InvalidOperationException">A bad value; the message names the setting.</exception>
    private static IPEndPoint? Listener(IConfiguration configuration)
    {
        string? port = configuration[PortSetting];
        if (string.IsNullOrWhiteSpace(port))
        {
            return null;
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number is < 1 or > 65535)
        {
            throw new MetricsConfigurationException($"{PortSetting} must be a port number from 1 to 65535.");
        }

        string host = configuration[HostSetting] is { Length: > 0 } configured ? configured : "127.0.0.1";
        return IPAddress.TryParse(host, out IPAddress? address)
            ? new IPEndPoint(address, number)
            : throw new MetricsConfigurationException($"{HostSetting} must be an IP address to listen on, such as 127.0.0.1 or 0.0.0.0.");
    }
}

/// <summary>A bad metrics setting: start-up is refused with this message.</summary>
public sealed class MetricsConfigurationException(string message) : Exception(message);

/// <summary>A second, minimal Kestrel server that answers <c>GET /metrics</c> and nothing else.</summary>
internal sealed class MetricsServer(IPEndPoint listener, PrometheusMetrics metrics) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken ct)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(listener);
        });
        _app = builder.Build();
        _app.MapGet(MetricsEndpoint.Path, metrics.WriteAsync);
        await _app.StartAsync(ct);
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (_app is not null)
        {
            await _app.StopAsync(ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
