using InfisicalKms.Core.Errors;
using Microsoft.AspNetCore.Diagnostics;

namespace InfisicalKms.Web.Api;

/// <summary>
/// Maps Core's closed set of failures to the error body once. Anything else under /api/ is a 500
/// <c>Something went wrong</c>: logged here, with nothing of the exception in the response.
/// </summary>
public sealed class KmsExceptionHandler(ILogger<KmsExceptionHandler> logger) : IExceptionHandler
{
    public const string BodyFramingMessage = "The request body is not valid HTTP: its chunked encoding or length is malformed";

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (!http.Request.Path.StartsWithSegments("/api") && http.Request.Path != Operations.MetricsEndpoint.Path)
        {
            return false;
        }

        http.Response.Headers["X-Request-Id"] = RequestIds.Get(http);
        http.Response.Headers.CacheControl = "no-store";
        switch (exception)
        {
            case KmsException kms:
                await ApiErrors.WriteAsync(http, kms);
                break;
            case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                await ApiErrors.WriteAsync(http, 413, "PayloadTooLarge", "Request body exceeds the limit");
                break;
            case BadHttpRequestException:
                // Kestrel found the body's framing broken while the handler read it: a bad chunk size or
                // a body shorter than its Content-Length. The client's fault, and Kestrel closes the connection.
                await ApiErrors.WriteAsync(http, 400, "BadRequest", BodyFramingMessage);
                break;
            default:
                // Core never puts secrets or data in exception messages, so the type and stack are safe to log.
                logger.LogError(exception, "Unhandled error on {Method} {Path} ({RequestId})", http.Request.Method, http.Request.Path, RequestIds.Get(http));
                await ApiErrors.WriteAsync(http, 500, "InternalServerError", ApiErrors.InternalMessage);
                break;
        }

        return true;
    }
}
