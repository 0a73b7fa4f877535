using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Organizations;

/// <summary>
/// Records web sign-ins (extension event <c>login-user</c>) in the organization chain: successes as the
/// user, failures as the account the e-mail names, or as an unknown user when it names none. The e-mail is
/// recorded; the password never is.
/// </summary>
public sealed class SignInAudit(IDbContextFactory<KmsDbContext> dbFactory, AuditLog audit)
{
    /// <exception cref="AuditUnavailableException">The record could not be written: the sign-in must not stand.</exception>
    public async Task RecordAsync(string email, bool succeeded, RequestOrigin origin, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        string normalized = email.Trim().ToUpperInvariant();
        var user = await db.Users.AsNoTracking().Where(u => u.NormalizedEmail == normalized)
            .Select(u => new { u.Id, u.Email, u.OrganizationId }).FirstOrDefaultAsync(ct);
        Guid organizationId = user?.OrganizationId
            ?? await db.InstanceOrganizationIdAsync(ct);
        if (organizationId == Guid.Empty)
        {
            return;   // not set up: there is no chain to record in
        }

        AuditEntry entry = audit.Entry(new AuditActor("user", user?.Id, user?.Email ?? ""), organizationId, origin, AuditEventTypes.LoginUser)
            .TargetOrganization().With("email", email.Trim());
        await audit.WriteAsync([entry], succeeded ? null : new KmsUnauthorizedException("Invalid credentials"));
    }
}
