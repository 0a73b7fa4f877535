using System.Security.Claims;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Storage;
using InfisicalKms.Web.Api;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Web.Components.Shared;

/// <summary>
/// The signed-in person as a Core <see cref="Actor"/>: pages call Core services in-process under it, so
/// the UI gets exactly the permission checks of the API.
/// </summary>
/// <remarks>
/// Read afresh on every call, never cached for the circuit: a user removed from the organization, or whose
/// organization role changed, acts no more with the old rights from a page that is still open. The audit
/// origin (IP, User-Agent) is the request that opened the page, handed over by <c>Routes</c>; records of
/// in-page actions carry it.
/// </remarks>
public sealed class UserSession(
    AuthenticationStateProvider authentication, IDbContextFactory<KmsDbContext> dbFactory, IHttpContextAccessor? httpContextAccessor = null)
{
    private RequestOrigin? _origin;

    /// <summary>Where the page was opened from; set once per circuit before any action.</summary>
    public void UseOrigin(RequestOrigin origin) => _origin = origin;

    /// <exception cref="InvalidOperationException">No signed-in user (pages are behind [Authorize]), or the user no longer exists.</exception>
    public async Task<Actor> ActorAsync(CancellationToken ct = default)
    {
        ClaimsPrincipal principal = (await authentication.GetAuthenticationStateAsync()).User;
        if (!Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out Guid userId))
        {
            throw new InvalidOperationException("No signed-in user.");
        }

        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        KmsUser user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct)
            ?? throw new InvalidOperationException("The signed-in user no longer exists.");
        RequestOrigin origin = _origin ?? (httpContextAccessor?.HttpContext is { } http ? HttpOrigin.Of(http) : RequestOrigin.None);
        return Actor.ForUser(user) with { Origin = origin };
    }
}
