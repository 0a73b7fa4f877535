using Scalar.AspNetCore;

namespace InfisicalKms.Web.Api;

/// <summary>
/// The interactive API reference at <c>/api/docs/</c>: Scalar's page over the served OpenAPI document
/// (<c>/openapi/v1.json</c>), whose "try it" requests carry the bearer token the reader enters.
/// </summary>
/// <remarks>
/// Everything the page loads comes from this server: Scalar's script is embedded in the package and served
/// at <c>/api/docs/scalar.js</c> (no CDN URL is configured); the CDN fonts, telemetry, the AI agent, MCP and
/// the request proxy are off, since the machines reach no other host and tokens must not leave this one. Like the rest of <c>/api</c>, it needs no sign-in.
/// The page has a Content-Security-Policy of its own: its one inline script runs by a nonce made per request.
/// </remarks>
public static class ApiReference
{
    public const string Path = "/api/docs";

    public static IEndpointRouteBuilder MapApiReference(this IEndpointRouteBuilder app)
    {
        app.MapScalarApiReference(Path, options =>
            {
                options
                    .WithTitle("InfisicalKms API")
                    .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                    .AddPreferredSecuritySchemes([KmsOpenApi.BearerScheme])
                    .AddHttpAuthentication(KmsOpenApi.BearerScheme, _ => { })
                    .DisableDefaultFonts()
                    .DisableTelemetry()
                    .DisableAgent()
                    .DisableMcp()
                    .WithNonce();
                // Empty, not unset: unset, Scalar's client may send "try it" requests (token included) through
                // Scalar's public proxy. Empty sends them straight to this server.
                options.ProxyUrl = "";
                options.Favicon = "/favicon.png";
            })
            .AddEndpointFilter(async (context, next) =>
            {
                object? page = await next(context);
                if (context.HttpContext.Items[ScalarOptions.NonceHttpContextItemKey] is string nonce)
                {
                    context.HttpContext.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy(nonce);
                }

                return page;
            });
        return app;
    }

    /// <summary>Scripts from this server or carrying the nonce; styles inline (the page sets them at run time); requests to this server only.</summary>
    public static string ContentSecurityPolicy(string nonce) =>
        $"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; " +
        "form-action 'self'; frame-ancestors 'none'";
}
