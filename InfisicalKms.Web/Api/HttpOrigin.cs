using InfisicalKms.Core.Audit;

namespace InfisicalKms.Web.Api;

/// <summary>The audit origin of an HTTP request: client IP (after the forwarded-headers rules, spec §1.11) and User-Agent.</summary>
public static class HttpOrigin
{
    public static RequestOrigin Of(HttpContext http) =>
        RequestOrigin.From(http.Connection.RemoteIpAddress, http.Request.Headers.UserAgent.FirstOrDefault());
}
