using InfisicalKms.Core.Access;
using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Errors;

namespace InfisicalKms.Web.Api;

/// <summary>Step 2 of spec §1.8 for protected routes: <c>Authorization: Bearer &lt;token&gt;</c> → the calling identity.</summary>
public sealed class KmsAuthFilter(TokenService tokens) : IEndpointFilter
{
    private const string ActorKey = "kms.actor";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        HttpContext http = context.HttpContext;
        string? header = http.Request.Headers.Authorization;
        if (header is null || header.Length <= 7 || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            throw KmsUnauthorizedException.TokenMissing();
        }

        string token = header[7..];
        if (!IsTokenShaped(token))
        {
            throw KmsUnauthorizedException.InvalidToken();
        }

        http.Items[ActorKey] = await tokens.AuthenticateAsync(token, http.Connection.RemoteIpAddress, HttpOrigin.Of(http), http.RequestAborted);
        return await next(context);
    }

    /// <summary>The authenticated caller; only valid on routes behind this filter.</summary>
    public static Actor Caller(HttpContext http) =>
        http.Items[ActorKey] as Actor ?? throw new InvalidOperationException("The route is not behind KmsAuthFilter.");

    private static bool IsTokenShaped(string token) =>
        token.Length is > 0 and <= 512 && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
