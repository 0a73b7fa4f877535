using System.Reflection;
using System.Text.Json;
using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.RootKeys;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InfisicalKms.Web.Api;

/// <summary>Routes that need no access token (spec §8.2–§8.5, §10.8); any Authorization header is ignored.</summary>
public static class AuthEndpoints
{
    // Read once: looking the attribute up on every status request was 5 % of its CPU time in the profile.
    private static readonly string ProductVersion =
        typeof(AuthEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?
            .InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapPost("/api/v1/auth/universal-auth/login", LoginAsync).WithName("Auth_Login").JsonBody<LoginBody>().Infisical();
        api.MapPost("/api/v1/auth/token/renew", RenewAsync).WithName("Auth_Renew").JsonBody<AccessTokenBody>().Infisical();
        api.MapPost("/api/v1/auth/token/revoke", RevokeAsync).WithName("Auth_Revoke").JsonBody<AccessTokenBody>().Infisical();
        api.MapPost("/api/v1/admin/bootstrap", BootstrapAsync).WithName("Admin_Bootstrap").JsonBody<BootstrapBody>().Infisical();
        api.MapGet("/api/status", Status).WithName("Status").Extension();
        return api;
    }

    private static async Task<Ok<LoginResponse>> LoginAsync(HttpContext http, TokenService tokens)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        string? clientId = v.String(body, "clientId", required: true);
        string? clientSecret = v.String(body, "clientSecret", required: true);
        v.ThrowIfInvalid();
        TokenGrant grant = await tokens.LoginAsync(clientId!, clientSecret!, http.Connection.RemoteIpAddress, HttpOrigin.Of(http), http.RequestAborted);
        return TypedResults.Ok(new LoginResponse(grant.AccessToken, grant.ExpiresIn, grant.MaxTtl, "Bearer"));
    }

    private static async Task<Ok<LoginResponse>> RenewAsync(HttpContext http, TokenService tokens)
    {
        string token = await ReadTokenAsync(http);
        TokenGrant grant = await tokens.RenewAsync(token, http.Connection.RemoteIpAddress, HttpOrigin.Of(http), http.RequestAborted);
        return TypedResults.Ok(new LoginResponse(grant.AccessToken, grant.ExpiresIn, grant.MaxTtl, "Bearer"));
    }

    private static async Task<Ok<MessageResponse>> RevokeAsync(HttpContext http, TokenService tokens)
    {
        string token = await ReadTokenAsync(http);
        await tokens.RevokeAsync(token, HttpOrigin.Of(http), http.RequestAborted);
        return TypedResults.Ok(new MessageResponse("Successfully revoked access token"));
    }

    private static async Task<Ok<BootstrapResponse>> BootstrapAsync(HttpContext http, BootstrapService bootstrap)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        string? email = v.String(body, "email", required: true, max: 254)?.ToLowerInvariant();
        if (email is not null && !EmailRule.IsValid(email))
        {
            v.Fail("email", "Invalid email");
        }

        string? password = v.String(body, "password", required: true, trim: false);
        if (password is { Length: < 12 })
        {
            v.Fail("password", "Password must be at least 12 characters");
        }
        else if (password is { Length: > 128 })
        {
            v.Fail("password", "Password must be at most 128 characters");
        }

        string? organization = v.String(body, "organization", required: true, min: 1, max: 64);
        v.ThrowIfInvalid();
        BootstrapResult result = await bootstrap.BootstrapAsync(email!, password!, organization!, HttpOrigin.Of(http), http.RequestAborted);
        return TypedResults.Ok(new BootstrapResponse(
            "Successfully bootstrapped instance",
            new BootstrapUser(result.User.Id.ToString(), result.User.Email!),
            new BootstrapOrganization(result.Organization.Id.ToString(), result.Organization.Name, result.Organization.Slug),
            new BootstrapIdentity(result.Identity.Id.ToString(), result.Identity.Name, new BootstrapCredentials(result.Token))));
    }

    private static Ok<StatusResponse> Status(RootKey rootKey)
    {
        // Start-up loads the root key before the server listens, so a served request always has one.
        RootKeyStatus status = rootKey.Status ?? throw new InvalidOperationException("The root key is not loaded.");
        var info = new RootKeyInfo(status.Strategy.ToWire(), status.TokenLabel, status.Manufacturer, status.Model);
        return TypedResults.Ok(new StatusResponse("ok", info, ProductVersion));
    }

    private static async Task<string> ReadTokenAsync(HttpContext http)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        string? token = v.String(body, "accessToken", required: true, trim: false);
        if (token is { Length: 0 })
        {
            v.Fail("accessToken", "Required");
        }

        v.ThrowIfInvalid();
        return token!;
    }
}
