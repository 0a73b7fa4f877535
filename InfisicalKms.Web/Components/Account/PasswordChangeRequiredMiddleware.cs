using System.Security.Claims;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Web.Components.Account.Pages.Manage;
using Microsoft.AspNetCore.Components.Endpoints;

namespace InfisicalKms.Web.Components.Account;

/// <summary>
/// Keeps a signed-in user who still has a one-time password (<see cref="KmsUser.MustChangePassword"/>) on the
/// change-password page: every other page redirects there. Only page requests are checked; the API, static files
/// and the sign-out endpoint pass.
/// </summary>
/// <remarks>
/// Checked on every page request against the database, not a cookie claim, so the change takes effect at once
/// in every browser. Interactive navigation needs no check: a circuit only starts from a page that passed here.
/// </remarks>
internal sealed class PasswordChangeRequiredMiddleware(RequestDelegate next)
{
    public const string ChangePasswordPath = "/Account/Manage/ChangePassword";

    public async Task InvokeAsync(HttpContext http, OrganizationMemberService members)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>() is { } page
            && page.Type != typeof(ChangePassword)
            && Guid.TryParse(http.User.FindFirstValue(ClaimTypes.NameIdentifier), out Guid userId)
            && await members.MustChangePasswordAsync(userId, http.RequestAborted) == true)
        {
            http.Response.Redirect($"{http.Request.PathBase}{ChangePasswordPath}");
            return;
        }

        await next(http);
    }
}
