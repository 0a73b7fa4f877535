using System.Security.Claims;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Web.Components.Account.Pages.Manage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Identity;

namespace InfisicalKms.Web.Components.Account;

/// <summary>
/// Checks every page request of a signed-in user against the account as stored now: a user removed from the
/// organization is signed out, and a user who still has a one-time password
/// (<see cref="KmsUser.MustChangePassword"/>) is sent to the change-password page from every other page. The
/// API, static files and the sign-out endpoint are not pages and pass.
/// </summary>
/// <remarks>
/// The database, not a cookie claim, decides, so a change takes effect at once in every browser. Interactive
/// navigation needs no check of its own: a circuit only starts from a page that passed here.
/// </remarks>
internal sealed class AccountGateMiddleware(RequestDelegate next)
{
    public const string ChangePasswordPath = "/Account/Manage/ChangePassword";

    public async Task InvokeAsync(HttpContext http)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>() is { } page
            && Guid.TryParse(http.User.FindFirstValue(ClaimTypes.NameIdentifier), out Guid userId))
        {
            // Resolved here, not as an InvokeAsync parameter: API requests would otherwise build the service
            // and its database context for nothing (the profile of GET /api/status showed it).
            var members = http.RequestServices.GetRequiredService<OrganizationMemberService>();
            switch (await members.MustChangePasswordAsync(userId, http.RequestAborted))
            {
                case null:
                    await http.SignOutAsync(IdentityConstants.ApplicationScheme);
                    http.Response.Redirect($"{http.Request.PathBase}/Account/Login");
                    return;
                case true when page.Type != typeof(ChangePassword):
                    http.Response.Redirect($"{http.Request.PathBase}{ChangePasswordPath}");
                    return;
            }
        }

        await next(http);
    }
}
