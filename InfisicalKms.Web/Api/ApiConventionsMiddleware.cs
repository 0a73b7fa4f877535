namespace InfisicalKms.Web.Api;

/// <summary>
/// Response conventions of spec §1.3 (X-Request-Id everywhere, Cache-Control: no-store under /api/) and
/// step 1 of §1.8: an unknown route or method under /api/ is a 404 <c>Route METHOD:path not found</c>, never 405.
/// </summary>
public sealed class ApiConventionsMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext http)
    {
        http.Response.Headers["X-Request-Id"] = RequestIds.Get(http);
        bool isApi = http.Request.Path.StartsWithSegments("/api");
        if (isApi)
        {
            http.Response.Headers.CacheControl = "no-store";
            Endpoint? endpoint = http.GetEndpoint();
            if (endpoint is null || IsMethodMismatch(endpoint))
            {
                await ApiErrors.WriteAsync(http, StatusCodes.Status404NotFound, "NotFound",
                    $"Route {http.Request.Method}:{http.Request.PathBase}{http.Request.Path} not found");
                return;
            }
        }

        await next(http);
    }

    // Routing selects a synthetic "405 HTTP Method Not Supported" endpoint (no method metadata) for a
    // known path with an unknown method.
    private static bool IsMethodMismatch(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<HttpMethodMetadata>() is null
        && endpoint.DisplayName?.StartsWith("405", StringComparison.Ordinal) == true;
}
