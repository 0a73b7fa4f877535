using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Access;

/// <summary>Effective project roles (spec §9.1) and the permission check every service makes.</summary>
public static class ProjectAccess
{
    /// <summary>
    /// The caller's effective role in a project: admin for organization admins, else its membership's
    /// role, else null (no membership: the caller is told the resource does not exist, spec §9.7).
    /// </summary>
    public static async Task<ProjectRole?> EffectiveRoleAsync(KmsDbContext db, Actor actor, Guid projectId, Guid projectOrgId, CancellationToken ct)
    {
        if (projectOrgId != actor.OrganizationId)
        {
            return null;
        }

        if (actor.IsOrgAdmin)
        {
            return ProjectRole.Admin;
        }

        return actor.Type switch
        {
            ActorType.Identity => await db.IdentityMemberships.AsNoTracking()
                .Where(m => m.ProjectId == projectId && m.IdentityId == actor.Id)
                .Select(m => (ProjectRole?)m.Role).FirstOrDefaultAsync(ct),
            ActorType.User => await db.UserMemberships.AsNoTracking()
                .Where(m => m.ProjectId == projectId && m.UserId == actor.Id)
                .Select(m => (ProjectRole?)m.Role).FirstOrDefaultAsync(ct),
            _ => null,
        };
    }

    /// <summary>
    /// Finds a project the caller can see and checks each permission in order; the first missing one is
    /// reported (spec §9.6). Unknown and invisible projects get the same 404.
    /// </summary>
    public static Task<(Project Project, ProjectRole Role)> RequireProjectAsync(
        KmsDbContext db, Actor actor, string projectId, CancellationToken ct, params Permission[] permissions) =>
        RequireProjectAsync(db, actor, projectId, audit: null, ct, permissions);

    /// <summary>As above; once the project is resolved, <paramref name="audit"/> names it and the operation is recorded whatever happens next.</summary>
    public static async Task<(Project Project, ProjectRole Role)> RequireProjectAsync(
        KmsDbContext db, Actor actor, string projectId, AuditEntry? audit, CancellationToken ct, params Permission[] permissions)
    {
        Project? project = Uuids.TryParse(projectId, out Guid id)
            ? await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct)
            : null;
        ProjectRole? role = project is null ? null : await EffectiveRoleAsync(db, actor, project.Id, project.OrganizationId, ct);
        if (project is null || role is null)
        {
            throw KmsNotFoundException.Project(projectId);
        }

        audit?.Target(project.Id);
        Demand(role.Value, permissions);
        return (project, role.Value);
    }

    public static void Demand(ProjectRole role, params Permission[] permissions)
    {
        foreach (Permission permission in permissions)
        {
            if (!role.Allows(permission))
            {
                throw new KmsPermissionDeniedException(permission.Action, permission.Subject);
            }
        }
    }
}
