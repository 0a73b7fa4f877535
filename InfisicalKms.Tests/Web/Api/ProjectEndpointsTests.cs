using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.AuthTestHelpers;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>Projects (spec §8.6) and who sees them (§9.4, §9.5, §9.7).</summary>
[Collection(SharedServerCollection.Name)]
public sealed class ProjectEndpointsTests(PeerAddressKmsFactory factory)
{
    [Fact]
    public async Task Create_NameAndDescription_ReturnsProjectWithGeneratedSlug()
    {
        AdminContext admin = await factory.AdminAsync();

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync("/api/v1/projects",
            new { projectName = "Payments", projectDescription = "Keys of the payment services" }));

        AssertMembers(body, "project");
        JsonObject project = body["project"]!.AsObject();
        AssertMembers(project, "id", "name", "slug", "description", "type", "orgId", "createdAt", "updatedAt");
        Assert.Matches(Uuid, (string)project["id"]!);
        Assert.Equal("Payments", (string?)project["name"]);
        Assert.Matches("^payments-[a-z0-9]{4}$", (string)project["slug"]!);
        Assert.Equal("Keys of the payment services", (string?)project["description"]);
        Assert.Equal("kms", (string?)project["type"]);
        Assert.Equal(admin.OrganizationId, (string?)project["orgId"]);
        Assert.Matches(Timestamp, (string)project["createdAt"]!);
        Assert.Equal((string?)project["createdAt"], (string?)project["updatedAt"]);
    }

    [Fact]
    public async Task Create_WithoutDescription_DescriptionIsNull()
    {
        AdminContext admin = await factory.AdminAsync();

        JsonObject project = await CreateProjectAsync(admin.Client, "No Description");

        Assert.True(project.ContainsKey("description"));
        Assert.Null(project["description"]);
    }

    [Theory]
    [InlineData("Abcdefghijklmnopqrstuvwxyz0123456789", "^abcdefghijklmnopqrstuvwxyz01234-[a-z0-9]{4}$")]
    [InlineData("  Team Alpha & Beta!  ", "^team-alpha-beta-[a-z0-9]{4}$")]
    [InlineData("Ünïcode", "^n-code-[a-z0-9]{4}$")]
    public async Task Create_WithoutSlug_GeneratesSlugFromName(string name, string slugPattern)
    {
        AdminContext admin = await factory.AdminAsync();

        JsonObject project = await CreateProjectAsync(admin.Client, name);

        Assert.Equal(name.Trim(), (string?)project["name"]);
        Assert.Matches(slugPattern, (string)project["slug"]!);
    }

    [Fact]
    public async Task Create_ExplicitSlug_IsUsedAndMustBeUnique()
    {
        AdminContext admin = await factory.AdminAsync();

        JsonObject first = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync("/api/v1/projects",
            new { projectName = "Team Alpha", slug = "team-alpha-keys" }));
        HttpResponseMessage duplicate = await admin.Client.PostAsJsonAsync("/api/v1/projects",
            new { projectName = "Another Team", slug = "team-alpha-keys" });

        Assert.Equal("team-alpha-keys", (string?)first["project"]!["slug"]);
        await ApiAssert.ErrorAsync(duplicate, 400, "BadRequest", "A project with the slug \"team-alpha-keys\" already exists");
    }

    [Theory]
    [InlineData("abcd", "Slug field must be at least 5 lowercase characters")]
    [InlineData("abcdefghijklmnopqrstuvwxyz01234567890", "Slug field must be at most 36 lowercase characters")]
    [InlineData("Team-Alpha", "Slug field can only contain lowercase letters, numbers, and hyphens")]
    [InlineData("team_alpha", "Slug field can only contain lowercase letters, numbers, and hyphens")]
    [InlineData("team--alpha", "Slug field can only contain lowercase letters, numbers, and hyphens")]
    [InlineData("-team-alpha", "Slug field can only contain lowercase letters, numbers, and hyphens")]
    [InlineData("team-alpha-", "Slug field can only contain lowercase letters, numbers, and hyphens")]
    public async Task Create_InvalidSlug_Returns422(string slug, string message)
    {
        AdminContext admin = await factory.AdminAsync();

        HttpResponseMessage response = await admin.Client.PostAsJsonAsync("/api/v1/projects", new { projectName = "Slugged", slug });

        JsonObject body = await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", $"slug: {message}");
        Assert.Equal("slug", (string?)body["details"]![0]!["field"]);
    }

    [Theory]
    [InlineData("""{"projectName":"Typed","type":"secret-manager"}""", "type: Invalid enum value. Expected 'kms', received 'secret-manager'")]
    [InlineData("""{"projectName":"Typed","type":"KMS"}""", "type: Invalid enum value. Expected 'kms', received 'KMS'")]
    [InlineData("""{"projectDescription":"no name"}""", "projectName: Required")]
    [InlineData("""{"projectName":"   "}""", "projectName: String must contain at least 1 character(s)")]
    public async Task Create_InvalidBody_Returns422(string json, string message)
    {
        AdminContext admin = await factory.AdminAsync();

        HttpResponseMessage response = await admin.Client.PostAsync("/api/v1/projects", Json(json));

        await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task Create_TypeKms_IsAccepted()
    {
        AdminContext admin = await factory.AdminAsync();

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync("/api/v1/projects", new { projectName = "Typed", type = "kms" }));

        Assert.Equal("kms", (string?)body["project"]!["type"]);
    }

    [Fact]
    public async Task Create_OrganizationMember_Returns403()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller member = await CreateCallerAsync(factory, admin, "project-creator");

        HttpResponseMessage response = await member.Client.PostAsJsonAsync("/api/v1/projects", new { projectName = "Not Mine" });

        await ApiAssert.ErrorAsync(response, 403, "PermissionDenied", "You are not allowed to create on project");
    }

    [Fact]
    public async Task List_OrganizationAdmin_SeesEveryProjectOrderedByName()
    {
        AdminContext admin = await factory.AdminAsync();
        string zulu = await CreateProjectIdAsync(admin.Client, "zulu listed");
        string alpha = await CreateProjectIdAsync(admin.Client, "Alpha listed");

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.GetAsync("/api/v1/projects"));

        AssertMembers(body, "projects");
        JsonArray projects = body["projects"]!.AsArray();
        List<string> ids = projects.Select(p => (string)p!["id"]!).ToList();
        Assert.Contains(zulu, ids);
        Assert.Contains(alpha, ids);
        List<string> names = projects.Select(p => (string)p!["name"]!).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public async Task ListAndGet_OrganizationMember_SeesOnlyProjectsItsRoleMayRead()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller member = await CreateCallerAsync(factory, admin, "project-reader");
        string viewer = await CreateProjectIdAsync(admin.Client, "Visible B");
        string operatorProject = await CreateProjectIdAsync(admin.Client, "Visible A");
        string noAccess = await CreateProjectIdAsync(admin.Client, "No Access");
        string invisible = await CreateProjectIdAsync(admin.Client, "Invisible");
        await AddIdentityMembershipAsync(admin.Client, viewer, member.IdentityId, "viewer");
        await AddIdentityMembershipAsync(admin.Client, operatorProject, member.IdentityId, "cryptographic-operator");
        await AddIdentityMembershipAsync(admin.Client, noAccess, member.IdentityId, "no-access");

        JsonObject list = await ApiAssert.OkAsync(await member.Client.GetAsync("/api/v1/projects"));

        Assert.Equal([operatorProject, viewer], list["projects"]!.AsArray().Select(p => (string)p!["id"]!));
        JsonObject got = await ApiAssert.OkAsync(await member.Client.GetAsync($"/api/v1/projects/{viewer}"));
        Assert.Equal("Visible B", (string?)got["project"]!["name"]);
        await ApiAssert.OkAsync(await member.Client.GetAsync($"/api/v1/projects/{operatorProject}"));
        await ApiAssert.ErrorAsync(await member.Client.GetAsync($"/api/v1/projects/{noAccess}"),
            403, "PermissionDenied", "You are not allowed to read on project");
        await ApiAssert.ErrorAsync(await member.Client.GetAsync($"/api/v1/projects/{invisible}"),
            404, "NotFound", $"Project with ID \"{invisible}\" not found");
    }

    [Theory]
    [InlineData("8d3c1c1e-5f0b-4a8e-9a51-0c2d4e6f8a10")]
    [InlineData("not-a-project-id")]
    public async Task GetOrDelete_UnknownProject_Returns404(string projectId)
    {
        AdminContext admin = await factory.AdminAsync();

        HttpResponseMessage get = await admin.Client.GetAsync($"/api/v1/projects/{projectId}");
        HttpResponseMessage delete = await admin.Client.DeleteAsync($"/api/v1/projects/{projectId}");

        await ApiAssert.ErrorAsync(get, 404, "NotFound", $"Project with ID \"{projectId}\" not found");
        await ApiAssert.ErrorAsync(delete, 404, "NotFound", $"Project with ID \"{projectId}\" not found");
    }

    [Fact]
    public async Task Delete_Project_ReturnsItAndDeletesItsKeys()
    {
        AdminContext admin = await factory.AdminAsync();
        JsonObject project = await CreateProjectAsync(admin.Client, "Doomed");
        string projectId = (string)project["id"]!;
        string keyId = await CreateAesKeyAsync(admin.Client, projectId, "doomed-key");

        JsonObject deleted = await ApiAssert.OkAsync(await admin.Client.DeleteAsync($"/api/v1/projects/{projectId}"));

        Assert.True(JsonNode.DeepEquals(project, deleted["project"]), deleted.ToJsonString());
        await ApiAssert.ErrorAsync(await admin.Client.GetAsync($"/api/v1/projects/{projectId}"),
            404, "NotFound", $"Project with ID \"{projectId}\" not found");
        await ApiAssert.ErrorAsync(await admin.Client.GetAsync($"/api/v1/kms/keys/{keyId}"),
            404, "NotFound", $"Key with ID \"{keyId}\" not found");
        JsonObject list = await ApiAssert.OkAsync(await admin.Client.GetAsync("/api/v1/projects"));
        Assert.DoesNotContain(projectId, list["projects"]!.AsArray().Select(p => (string)p!["id"]!));
    }

    [Fact]
    public async Task Delete_ProjectMemberRole_Returns403()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller member = await CreateCallerAsync(factory, admin, "project-deleter");
        string projectId = await CreateProjectIdAsync(admin.Client, "Kept");
        await AddIdentityMembershipAsync(admin.Client, projectId, member.IdentityId, "member");

        HttpResponseMessage response = await member.Client.DeleteAsync($"/api/v1/projects/{projectId}");

        await ApiAssert.ErrorAsync(response, 403, "PermissionDenied", "You are not allowed to delete on project");
        await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/projects/{projectId}"));
    }

    [Fact]
    public async Task OrganizationAdminIdentity_WithoutMembership_IsAdminOfEveryProject()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "Admin Reach");
        ApiCaller orgAdmin = await CreateCallerAsync(factory, admin, "second-admin", orgRole: "admin");

        JsonObject list = await ApiAssert.OkAsync(await orgAdmin.Client.GetAsync("/api/v1/projects"));
        await ApiAssert.OkAsync(await orgAdmin.Client.GetAsync($"/api/v1/projects/{projectId}"));
        await ApiAssert.OkAsync(await orgAdmin.Client.PostAsJsonAsync("/api/v1/projects", new { projectName = "By Second Admin" }));
        await ApiAssert.OkAsync(await orgAdmin.Client.DeleteAsync($"/api/v1/projects/{projectId}"));

        Assert.Contains(projectId, list["projects"]!.AsArray().Select(p => (string)p!["id"]!));
    }
}
