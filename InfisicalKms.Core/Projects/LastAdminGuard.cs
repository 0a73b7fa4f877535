using InfisicalKms.Core.Access;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Projects;

/// <summary>Keeps at least one admin membership in a project whose members the web interface manages.</summary>
/// <remarks>
/// User and identity memberships with role admin count together. Organization admins are implicitly project
/// admins (spec §9.1) but hold no membership, so they do not count: the guard keeps someone inside the project
/// able to manage it. The API's DELETE routes (spec §8.10.3, §8.11.3) deliberately do not use it. Callers run
/// it inside the transaction that makes the change, so two concurrent demotions cannot both pass.
/// </remarks>
internal static class LastAdminGuard
{
    /// <summary>Refuses to take the admin role from <paramref name="project"/>'s last admin; a null new role means removal.</summary>
    public static async Task CheckAsync(KmsDbContext db, Project project, ProjectRole currentRole, ProjectRole? newRole, CancellationToken ct)
    {
        if (currentRole != ProjectRole.Admin || newRole == ProjectRole.Admin)
        {
            return;
        }

        int admins = await db.UserMemberships.CountAsync(m => m.ProjectId == project.Id && m.Role == ProjectRole.Admin, ct)
            + await db.IdentityMemberships.CountAsync(m => m.ProjectId == project.Id && m.Role == ProjectRole.Admin, ct);
        if (admins <= 1)
        {
            throw new KmsBadRequestException(Message(project.Name));
        }
    }

    public static string Message(string projectName) => $"Cannot remove or demote the last admin of project \"{projectName}\"";
}
