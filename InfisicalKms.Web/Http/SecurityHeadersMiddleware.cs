using System.Security.Cryptography;

namespace InfisicalKms.Web.Http;

/// <summary>
/// The browser security headers of every response (issue #15): <c>X-Content-Type-Options: nosniff</c>,
/// <c>X-Frame-Options: DENY</c>, <c>Referrer-Policy: no-referrer</c> and a Content-Security-Policy. Pages get
/// a policy Blazor Server and MudBlazor work under: scripts only from this origin (plus the page's one inline
/// import map, by a per-request nonce), never <c>unsafe-eval</c>; styles may be inline, because MudBlazor
/// writes <c>style</c> attributes and its theme as a <c>style</c> element. API responses are never documents,
/// so their policy allows nothing.
/// </summary>
/// <remarks>
/// The headers are written when the response starts, so an error page or a re-executed status page, which
/// clear the headers set so far, still carries them. <c>connect-src 'self'</c> covers the circuit's
/// WebSocket to <c>/_blazor</c> (CSP Level 3: 'self' matches ws: and wss: on the same host and port).
/// </remarks>
public sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    private const string NonceKey = "kms.csp-nonce";

    private const string ApiPolicy = "default-src 'none'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext http)
    {
        http.Response.OnStarting(static state =>
        {
            var context = (HttpContext)state;
            IHeaderDictionary headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            if (string.IsNullOrEmpty(headers.ContentSecurityPolicy))   // a page with a policy of its own keeps it (/api/docs)
            {
                headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/api")
                    ? ApiPolicy
                    : PagePolicy(context.Items[NonceKey] as string);
            }
            return Task.CompletedTask;
        }, http);
        return next(http);
    }

    /// <summary>
    /// The nonce that lets this response's inline script (Blazor's import map) run; made on first use, so only
    /// a page that renders one allows any inline script at all.
    /// </summary>
    public static string ScriptNonce(HttpContext http)
    {
        if (http.Items[NonceKey] is not string nonce)
        {
            nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            http.Items[NonceKey] = nonce;
        }

        return nonce;
    }

    /// <summary>The policy of a page; <paramref name="nonce"/> is the one its inline script carries, if any.</summary>
    public static string PagePolicy(string? nonce) =>
        "default-src 'self'; "
        + (nonce is null ? "script-src 'self'; " : $"script-src 'self' 'nonce-{nonce}'; ")
        + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
}
