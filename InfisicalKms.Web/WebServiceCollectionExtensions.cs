using System.Net;
using System.Text.Json.Serialization;
using InfisicalKms.Core.Health;
using InfisicalKms.Web.Api;
using InfisicalKms.Web.Components;
using InfisicalKms.Web.Components.Account;
using InfisicalKms.Web.Http;
using InfisicalKms.Web.Kmip;
using InfisicalKms.Web.Operations;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.CookiePolicy;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using MudBlazor;
using MudBlazor.Services;

namespace InfisicalKms.Web;

public static class WebServiceCollectionExtensions
{
    /// <summary>Blazor with MudBlazor, the API's error mapping, OpenAPI and forwarded headers.</summary>
    public static IHostApplicationBuilder AddKmsWeb(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        // Snackbars top centre, at most three: a dialog's buttons sit at its bottom, so a stack never covers
        // them, and no page has an action button under the app bar's middle.
        builder.Services.AddMudServices(options =>
        {
            options.SnackbarConfiguration.PositionClass = Defaults.Classes.Position.TopCenter;
            options.SnackbarConfiguration.MaxDisplayedSnackbars = 3;
        });
        builder.AddKmsAccounts();
        builder.AddKmsShutdown();
        builder.Services.AddExceptionHandler<KmsExceptionHandler>();
        builder.Services.AddProblemDetails();
        // Numbers are numbers on the wire (spec §1.2: no coercion from strings), which the OpenAPI document reflects.
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        builder.Services.AddOpenApi("v1", options => KmsOpenApi.Configure(options));
        builder.Services.AddKmsHealthChecks();
        builder.AddKmsMetrics();
        builder.Services.AddSingleton<KmipListener>();   // KMIP over mutual TLS on its own port, when Kms:Kmip:Enabled
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KmipListener>());
        // Requests Kestrel refuses itself (malformed request line, URL or headers too large) get the JSON
        // error body too; see Http/KestrelRefusals.cs.
        builder.Services.Configure<KestrelServerOptions>(kestrel =>
        {
            kestrel.AddServerHeader = false;   // no "Server: Kestrel" telling what runs here
            kestrel.ConfigureEndpointDefaults(listen => listen.UseKestrelRefusalBodies());
        });
        AddBrowserSecurity(builder.Services);

        // Behind a reverse proxy, the client address comes from X-Forwarded-For and the scheme from
        // X-Forwarded-Proto (so cookies are Secure behind a TLS-terminating proxy), but only as reported by
        // the proxies the operator lists (spec §1.11). Read when the options are first used, from the final
        // configuration (a test host adds its own after this runs).
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IConfiguration>((options, configuration) =>
        {
            string[] proxies = configuration.GetSection("Kms:TrustedProxies").Get<string[]>() ?? [];
            options.ForwardedHeaders = proxies.Length > 0 ? ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto : ForwardedHeaders.None;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (string proxy in proxies)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });
        return builder;
    }

    public static WebApplication UseKmsWeb(this WebApplication app)
    {
        app.UseKestrelRefusalTracking();   // first: it must see every request enter the app
        app.UseForwardedHeaders();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseCookiePolicy();   // after the forwarded headers: Secure follows the scheme the client used
        app.UseExceptionHandler();
        // The not-found page is for people; the API always answers with its own JSON error bodies.
        app.UseWhen(IsPage, pages =>
            pages.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
        app.UseMiddleware<ExactPathMiddleware>();   // before routing: no dot segments or encoded slashes
        app.UseRouting();
        app.UseMiddleware<ApiConventionsMiddleware>();
        // Sign-in cookies, authorization policies, the account gate and antiforgery serve the pages. The API
        // authenticates its own bearer tokens, so its requests skip them (the status profile: 6 % of CPU).
        app.UseWhen(IsPage, pages =>
        {
            pages.UseAuthentication();
            pages.UseAuthorization();
            pages.UseMiddleware<AccountGateMiddleware>();
            pages.UseAntiforgery();
            MarkMiddlewareSet(app, pages);
        });

        app.MapStaticAssets();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapApiReference();   // /api/docs/: the OpenAPI document as an interactive page
        app.MapKmsApi();
        app.MapKmsHealth();
        app.MapKmsMetrics();
        // The page's Content-Security-Policy (SecurityHeadersMiddleware) carries frame-ancestors 'none'
        // itself, so Blazor's own, weaker frame-ancestors 'self' header is turned off.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
        app.MapAdditionalIdentityEndpoints();
        return app;
    }

    // Every cookie the server sets (sign-in, two-factor, antiforgery, status messages) is HttpOnly, SameSite
    // and, when the client came over HTTPS (directly or through a trusted proxy), Secure. Antiforgery's
    // X-Frame-Options: SAMEORIGIN gives way to the stricter DENY every response carries.
    private static void AddBrowserSecurity(IServiceCollection services)
    {
        services.Configure<CookiePolicyOptions>(options =>
        {
            options.HttpOnly = HttpOnlyPolicy.Always;
            options.Secure = CookieSecurePolicy.SameAsRequest;
            options.MinimumSameSitePolicy = SameSiteMode.Lax;
        });
        services.Configure<AntiforgeryOptions>(options => options.SuppressXFrameOptionsHeader = true);
    }

    /// <summary>The UI's requests; the API and the operators' probes authenticate on their own terms.</summary>
    private static bool IsPage(HttpContext http) =>
        !http.Request.Path.StartsWithSegments("/api") && !HealthEndpoints.IsHealthPath(http.Request.Path) && http.Request.Path != MetricsEndpoint.Path;

    // WebApplication adds authentication, authorization and antiforgery itself, in front of everything, unless
    // its own properties say the app did; a branch writes to a copy of them, so its marks are copied back.
    private static void MarkMiddlewareSet(WebApplication app, IApplicationBuilder branch)
    {
        foreach ((string key, object? value) in branch.Properties)
        {
            if (key.EndsWith("MiddlewareSet", StringComparison.Ordinal))
            {
                ((IApplicationBuilder)app).Properties[key] = value;
            }
        }
    }
}
