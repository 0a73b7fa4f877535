using InfisicalKms.Core.Errors;
using InfisicalKms.Web.Api;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing.Patterns;

namespace InfisicalKms.Web.Http;

/// <summary>
/// Runs before routing and refuses a request whose raw path holds a dot segment or an encoded slash
/// (<see cref="RawPath"/>), so that every route sees exactly the path the client sent.
/// </summary>
/// <remarks>
/// Under <c>/api</c> the refusal is the spec's error body: 422 <c>&lt;param&gt;: Invalid uuid</c> when each
/// such segment stands where a route has an ID parameter (<c>keyId</c>, <c>projectId</c>, …), else 400.
/// It comes before authentication, since it is decided by the path alone and reveals nothing. Pages get a
/// plain 400.
/// </remarks>
public sealed class ExactPathMiddleware(RequestDelegate next, EndpointDataSource endpoints)
{
    public const string Message = "The request path must not contain dot segments (. or ..) or encoded slashes (%2F)";

    private IReadOnlyList<RouteEndpoint>? _routes;

    public Task InvokeAsync(HttpContext http)
    {
        string path = RawPath.PathOf(http.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget);
        IReadOnlyList<int> ambiguous = RawPath.AmbiguousSegments(path);
        if (ambiguous.Count == 0)
        {
            return next(http);
        }

        // /api%2Fstatus names the API too: decoded, it is /api/status.
        if (!path.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase).StartsWith("/api/", StringComparison.OrdinalIgnoreCase))
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            http.Response.ContentType = "text/plain; charset=utf-8";
            return http.Response.WriteAsync(Message + ".", http.RequestAborted);
        }

        http.Response.Headers["X-Request-Id"] = RequestIds.Get(http);
        http.Response.Headers.CacheControl = "no-store";
        IReadOnlyList<string>? ids = IdParametersAt(RawPath.Segments(path), ambiguous, http.Request.Method);
        return ids is null
            ? ApiErrors.WriteAsync(http, StatusCodes.Status400BadRequest, "BadRequest", Message)
            : ApiErrors.WriteAsync(http, new KmsValidationException(ids.Select(id => new ValidationIssue(id, "Invalid uuid")).ToList()));
    }

    /// <summary>
    /// The ID parameters a route of this method has at every ambiguous position, when the path's other
    /// segments match that route's literals; null when no route does, or a position is not an ID.
    /// </summary>
    private IReadOnlyList<string>? IdParametersAt(string[] segments, IReadOnlyList<int> ambiguous, string method)
    {
        foreach (RouteEndpoint route in Routes())
        {
            IReadOnlyList<string>? methods = route.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods;
            if (methods is null || !methods.Contains(method, StringComparer.OrdinalIgnoreCase)
                || route.RoutePattern.PathSegments.Count != segments.Length)
            {
                continue;
            }

            var names = new List<string>();
            bool matches = true;
            for (int i = 0; i < segments.Length && matches; i++)
            {
                RoutePatternPathSegment part = route.RoutePattern.PathSegments[i];
                if (!ambiguous.Contains(i))
                {
                    matches = !part.IsSimple || part.Parts[0] is not RoutePatternLiteralPart literal
                        || string.Equals(literal.Content, segments[i], StringComparison.OrdinalIgnoreCase);
                }
                else if (part.IsSimple && part.Parts[0] is RoutePatternParameterPart { Name: var name } && IsId(name))
                {
                    names.Add(name);
                }
                else
                {
                    matches = false;
                }
            }

            if (matches)
            {
                return names;
            }
        }

        return null;
    }

    private static bool IsId(string parameter) => parameter.EndsWith("Id", StringComparison.Ordinal);

    private IReadOnlyList<RouteEndpoint> Routes() =>
        _routes ??= endpoints.Endpoints.OfType<RouteEndpoint>().OrderBy(e => e.Order).ToArray();
}
