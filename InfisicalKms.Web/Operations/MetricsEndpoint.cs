using System.Net;
using InfisicalKms.Core;
using InfisicalKms.Core.Errors;
using InfisicalKms.Web.Api;
using Microsoft.Extensions.Options;

namespace InfisicalKms.Web.Operations;

/// <summary>
/// <c>Kms:Metrics:Port</c> and <c>Kms:Metrics:Host</c>: where <c>GET /metrics</c> listens without a token. No port
/// (the default) serves it on the server's own port to organization admins only.
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "Kms:Metrics";

    public const string PortKey = "Kms:Metrics:Port";

    public const string HostKey = "Kms:Metrics:Host";

    public const string DefaultHost = "127.0.0.1";

    /// <summary>As configured: text, so that a bad value gets this setting's message, not the binder's.</summary>
    public string? Port { get; set; }

    public string? Host { get; set; }

    /// <summary>The metrics port's address, or null to serve them on the server's port; valid options only.</summary>
    public IPEndPoint? Listener => PortNumber() is { } port ? new IPEndPoint(IPAddress.Parse(HostOrDefault), port) : null;

    private string HostOrDefault => string.IsNullOrWhiteSpace(Host) ? DefaultHost : Host.Trim();

    internal bool PortValid => string.IsNullOrWhiteSpace(Port) || PortNumber() is not null;

    internal bool HostValid => IPAddress.TryParse(HostOrDefault, out _);

    private int? PortNumber() => SettingNumbers.TryParse(Port?.Trim(), 1, 65535, out int? port) ? port : null;
}

public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static IHostApplicationBuilder AddKmsMetrics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section)
            .Validate(o => o.PortValid, $"{MetricsOptions.PortKey} must be a port number from 1 to 65535.")
            .Validate(o => o.HostValid, $"{MetricsOptions.HostKey} must be an IP address to listen on, such as 127.0.0.1 or 0.0.0.0.")
            .ValidateOnStart();
        builder.Services.AddSingleton<PrometheusMetrics>();
        builder.Services.AddHostedService<MetricsServer>();
        return builder;
    }

    /// <summary>The bearer-token form, unless the metrics have a port of their own.</summary>
    public static void MapKmsMetrics(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<PrometheusMetrics>();   // counting starts with the server, not the first scrape
        if (app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.Listener is null)
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
}

/// <summary>With <c>Kms:Metrics:Port</c>: a second, minimal Kestrel server that answers <c>GET /metrics</c> and nothing else.</summary>
internal sealed class MetricsServer(IOptions<MetricsOptions> options, PrometheusMetrics metrics) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken ct)
    {
        if (options.Value.Listener is not { } listener)
        {
            return;
        }

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
