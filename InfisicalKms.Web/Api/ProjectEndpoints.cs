using System.Text.Json;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Projects;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InfisicalKms.Web.Api;

/// <summary>Projects and their memberships (spec §8.6, §8.10, §8.11).</summary>
public static class ProjectEndpoints
{
    public static RouteGroupBuilder MapProjectEndpoints(this RouteGroupBuilder projects)
    {
        projects.MapPost("", CreateAsync).WithName("Projects_Create").JsonBody<CreateProjectBody>().Infisical();
        projects.MapGet("", ListAsync).WithName("Projects_List").Infisical();
        projects.MapGet("{projectId}", GetAsync).WithName("Projects_Get").Infisical();
        projects.MapDelete("{projectId}", DeleteAsync).WithName("Projects_Delete").Infisical();

        projects.MapPost("{projectId}/identity-memberships/{identityId}", AddIdentityAsync).WithName("IdentityMemberships_Add").JsonBody<RoleBody>().Infisical();
        projects.MapGet("{projectId}/identity-memberships", ListIdentitiesAsync).WithName("IdentityMemberships_List").Extension();
        projects.MapDelete("{projectId}/identity-memberships/{identityId}", RemoveIdentityAsync).WithName("IdentityMemberships_Remove").Infisical();

        projects.MapPost("{projectId}/memberships", AddUserAsync).WithName("UserMemberships_Add").JsonBody<UserMembershipBody>().Extension();
        projects.MapGet("{projectId}/memberships", ListUsersAsync).WithName("UserMemberships_List").Extension();
        projects.MapDelete("{projectId}/memberships/{userId}", RemoveUserAsync).WithName("UserMemberships_Remove").Extension();
        return projects;
    }

    private static async Task<Ok<ProjectResponse>> CreateAsync(HttpContext http, ProjectService projects)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        string? name = v.String(body, "projectName", required: true, min: 1, max: 64);
        string? description = v.String(body, "projectDescription", required: false, max: 1024);
        string? slug = v.Slug(body, "slug", "Slug", 5, 36, required: false);
        if (v.String(body, "type", required: false, trim: false) is { } type && type != "kms")
        {
            v.Fail("type", $"Invalid enum value. Expected 'kms', received '{type}'");
        }

        v.ThrowIfInvalid();
        Project project = await projects.CreateAsync(KmsAuthFilter.Caller(http), new CreateProjectRequest(name!, description, slug), http.RequestAborted);
        return TypedResults.Ok(new ProjectResponse(ProjectDto.From(project)));
    }

    private static async Task<Ok<ProjectListResponse>> ListAsync(HttpContext http, ProjectService projects) =>
        TypedResults.Ok(new ProjectListResponse((await projects.ListAsync(KmsAuthFilter.Caller(http), http.RequestAborted)).Select(ProjectDto.From).ToArray()));

    private static async Task<Ok<ProjectResponse>> GetAsync(HttpContext http, string projectId, ProjectService projects) =>
        TypedResults.Ok(new ProjectResponse(ProjectDto.From(await projects.GetAsync(KmsAuthFilter.Caller(http), projectId, http.RequestAborted))));

    private static async Task<Ok<ProjectResponse>> DeleteAsync(HttpContext http, string projectId, ProjectService projects) =>
        TypedResults.Ok(new ProjectResponse(ProjectDto.From(await projects.DeleteAsync(KmsAuthFilter.Caller(http), projectId, http.RequestAborted))));

    private static async Task<Ok<IdentityMembershipResponse>> AddIdentityAsync(HttpContext http, string projectId, string identityId, MembershipService memberships)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        Guid id = v.Uuid("identityId", identityId);
        ProjectRole role = v.Enum(body, "role", ProjectRoles.Wire) ?? ProjectRole.NoAccess;
        v.ThrowIfInvalid();
        MembershipInfo m = await memberships.AddIdentityAsync(KmsAuthFilter.Caller(http), projectId, id, role, http.RequestAborted);
        return TypedResults.Ok(new IdentityMembershipResponse(IdentityMembershipDto.From(m, withIdentity: false)));
    }

    private static async Task<Ok<IdentityMembershipListResponse>> ListIdentitiesAsync(HttpContext http, string projectId, MembershipService memberships)
    {
        IReadOnlyList<MembershipInfo> list = await memberships.ListIdentitiesAsync(KmsAuthFilter.Caller(http), projectId, http.RequestAborted);
        return TypedResults.Ok(new IdentityMembershipListResponse(list.Select(m => IdentityMembershipDto.From(m, withIdentity: true)).ToArray()));
    }

    private static async Task<Ok<IdentityMembershipResponse>> RemoveIdentityAsync(HttpContext http, string projectId, string identityId, MembershipService memberships)
    {
        Guid id = PathUuid("identityId", identityId);
        MembershipInfo m = await memberships.RemoveIdentityAsync(KmsAuthFilter.Caller(http), projectId, id, http.RequestAborted);
        return TypedResults.Ok(new IdentityMembershipResponse(IdentityMembershipDto.From(m, withIdentity: false)));
    }

    private static async Task<Ok<UserMembershipResponse>> AddUserAsync(HttpContext http, string projectId, MembershipService memberships)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        string? email = v.String(body, "email", required: true);
        if (email is not null && !EmailRule.IsValid(email))
        {
            v.Fail("email", "Invalid email");
        }

        ProjectRole role = v.Enum(body, "role", ProjectRoles.Wire) ?? ProjectRole.NoAccess;
        v.ThrowIfInvalid();
        MembershipInfo m = await memberships.AddUserAsync(KmsAuthFilter.Caller(http), projectId, email!, role, http.RequestAborted);
        return TypedResults.Ok(new UserMembershipResponse(UserMembershipDto.From(m)));
    }

    private static async Task<Ok<UserMembershipListResponse>> ListUsersAsync(HttpContext http, string projectId, MembershipService memberships)
    {
        IReadOnlyList<MembershipInfo> list = await memberships.ListUsersAsync(KmsAuthFilter.Caller(http), projectId, http.RequestAborted);
        return TypedResults.Ok(new UserMembershipListResponse(list.Select(UserMembershipDto.From).ToArray()));
    }

    private static async Task<Ok<UserMembershipResponse>> RemoveUserAsync(HttpContext http, string projectId, string userId, MembershipService memberships)
    {
        Guid id = PathUuid("userId", userId);
        MembershipInfo m = await memberships.RemoveUserAsync(KmsAuthFilter.Caller(http), projectId, id, http.RequestAborted);
        return TypedResults.Ok(new UserMembershipResponse(UserMembershipDto.From(m)));
    }

    public static Guid PathUuid(string field, string text)
    {
        var v = new RequestValidator();
        Guid id = v.Uuid(field, text);
        v.ThrowIfInvalid();
        return id;
    }
}
