using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Projects;

/// <summary>Projects of the caller's organization (spec §8.6).</summary>
public sealed class ProjectService(IDbContextFactory<KmsDbContext> dbFactory, AuditLog audit, TimeProvider clock)
{
    /// <summary>
    /// Creates a project; its <c>create-project</c> record is the first of the project's chain. A refused
    /// creation has no project chain and is recorded in the organization's.
    /// </summary>
    public Task<Project> CreateAsync(Actor actor, CreateProjectRequest request, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.CreateProject).TargetOrganization().With("projectName", request.Name);
        return audit.RunAsync(entry, async () =>
        {
            if (!actor.IsOrgAdmin)
            {
                throw new KmsPermissionDeniedException("create", Permission.Subjects.Project);
            }

            string slug = request.Slug ?? $"{SlugRule.Slugify(request.Name, 31, "project")}-{SlugRule.RandomSuffix(4)}";
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            var duplicate = new KmsBadRequestException($"A project with the slug \"{slug}\" already exists");
            if (await db.Projects.AnyAsync(p => p.OrganizationId == actor.OrganizationId && p.Slug == slug, ct))
            {
                throw duplicate;
            }

            DateTime now = clock.GetUtcNow().UtcDateTime;
            var project = new Project
            {
                Id = Guid.CreateVersion7(),
                OrganizationId = actor.OrganizationId,
                Name = request.Name,
                Slug = slug,
                Description = request.Description,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Projects.Add(project);
            entry.Target(project.Id);
            try
            {
                await audit.SaveAsync(entry, db, ct);
            }
            catch (DbUpdateException) when (request.Slug is not null)
            {
                entry.TargetOrganization();
                throw duplicate;   // lost a race for the same slug
            }

            return project;
        });
    }

    /// <summary>Organization admins see every project; others those whose role grants read on project.</summary>
    public async Task<IReadOnlyList<Project>> ListAsync(Actor actor, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        IQueryable<Project> projects = db.Projects.AsNoTracking().Where(p => p.OrganizationId == actor.OrganizationId);
        if (!actor.IsOrgAdmin)
        {
            ProjectRole[] readers = Enum.GetValues<ProjectRole>().Where(r => r.Allows(Permission.ReadProject)).ToArray();
            IQueryable<Guid> visible = actor.Type == ActorType.Identity
                ? db.IdentityMemberships.Where(m => m.IdentityId == actor.Id && readers.Contains(m.Role)).Select(m => m.ProjectId)
                : db.UserMemberships.Where(m => m.UserId == actor.Id && readers.Contains(m.Role)).Select(m => m.ProjectId);
            projects = projects.Where(p => visible.Contains(p.Id));
        }

        List<Project> list = await projects.ToListAsync(ct);
        return list.OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Id).ToList();
    }

    public async Task<Project> GetAsync(Actor actor, string projectId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        return (await ProjectAccess.RequireProjectAsync(db, actor, projectId, ct, Permission.ReadProject)).Project;
    }

    /// <summary>A project the caller may read, with the caller's effective role in it (the UI enables actions by it).</summary>
    public async Task<(Project Project, ProjectRole Role)> GetAccessAsync(Actor actor, string projectId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        return await ProjectAccess.RequireProjectAsync(db, actor, projectId, ct, Permission.ReadProject);
    }

    /// <summary>Irreversible: deletes the project, all its keys (every version) and memberships.</summary>
    /// <remarks>Recorded in the organization chain; the project's own records stay stored (spec §8.6.4).</remarks>
    public Task<Project> DeleteAsync(Actor actor, string projectId, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.DeleteProject);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            (Project project, ProjectRole role) = await ProjectAccess.RequireProjectAsync(db, actor, projectId, ct);
            entry.TargetOrganization().With("projectId", project.Id.ToString()).With("projectName", project.Name);
            ProjectAccess.Demand(role, Permission.DeleteProject);
            db.Projects.Remove(project);
            await audit.SaveAsync(entry, db, ct);
            return project;
        });
    }
}
