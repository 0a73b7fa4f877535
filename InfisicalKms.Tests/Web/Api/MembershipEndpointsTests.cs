using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.AuthTestHelpers;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>Project memberships of identities (spec §8.10) and users (§8.11), and the role tables of §9.4.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class MembershipEndpointsTests(PeerAddressKmsFactory factory)
{
    private const string BootstrapEmail = "admin@example.com";
    private const string RoleEnumMessage = "role: Invalid enum value. Expected 'admin' | 'member' | 'viewer' | 'cryptographic-operator' | 'no-access', received 'owner'";

    [Fact]
    public async Task AddIdentity_WithoutRole_AddsNoAccessMembership()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "Identity Members");
        string identityId = await CreateIdentityAsync(admin, "no-access-member");

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.PostAsync(
            $"/api/v1/projects/{projectId}/identity-memberships/{identityId}", null));

        AssertMembers(body, "identityMembership");
        JsonObject membership = body["identityMembership"]!.AsObject();
        AssertMembers(membership, "id", "identityId", "projectId", "role", "createdAt");
        Assert.Matches(Uuid, (string)membership["id"]!);
        Assert.Equal(identityId, (string?)membership["identityId"]);
        Assert.Equal(projectId, (string?)membership["projectId"]);
        Assert.Equal("no-access", (string?)membership["role"]);
        Assert.Matches(Timestamp, (string)membership["createdAt"]!);
    }

    [Fact]
    public async Task AddIdentity_InvalidRoleDuplicateOrUnknownTargets_Fails()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "Identity Errors");
        string identityId = await CreateIdentityAsync(admin, "operator-member");
        string unknown = Guid.NewGuid().ToString();
        string route = $"/api/v1/projects/{projectId}/identity-memberships/{identityId}";

        HttpResponseMessage invalidRole = await admin.Client.PostAsJsonAsync(route, new { role = "owner" });
        JsonObject added = await AddIdentityMembershipAsync(admin.Client, projectId, identityId, "cryptographic-operator");
        HttpResponseMessage duplicate = await admin.Client.PostAsJsonAsync(route, new { role = "viewer" });
        HttpResponseMessage unknownIdentity = await admin.Client.PostAsync($"/api/v1/projects/{projectId}/identity-memberships/{unknown}", null);
        HttpResponseMessage unknownProject = await admin.Client.PostAsync($"/api/v1/projects/{unknown}/identity-memberships/{identityId}", null);
        HttpResponseMessage invalidId = await admin.Client.PostAsync($"/api/v1/projects/{projectId}/identity-memberships/not-a-uuid", null);

        await ApiAssert.ErrorAsync(invalidRole, 422, "ValidationFailure", RoleEnumMessage);
        Assert.Equal("cryptographic-operator", (string?)added["role"]);
        await ApiAssert.ErrorAsync(duplicate, 400, "BadRequest",
            $"Identity with ID \"{identityId}\" is already a member of project with ID \"{projectId}\"");
        await ApiAssert.ErrorAsync(unknownIdentity, 404, "NotFound", $"Identity with ID \"{unknown}\" not found");
        await ApiAssert.ErrorAsync(unknownProject, 404, "NotFound", $"Project with ID \"{unknown}\" not found");
        await ApiAssert.ErrorAsync(invalidId, 422, "ValidationFailure", "identityId: Invalid uuid");
    }

    [Fact]
    public async Task ListIdentities_Members_IncludeIdentityInCreationOrder()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "Identity List");
        string zulu = await CreateIdentityAsync(admin, "zulu-identity");
        string alpha = await CreateIdentityAsync(admin, "alpha-identity");
        JsonObject first = await AddIdentityMembershipAsync(admin.Client, projectId, zulu, "viewer");
        await Task.Delay(15);   // distinct createdAt milliseconds
        JsonObject second = await AddIdentityMembershipAsync(admin.Client, projectId, alpha, "member");

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/projects/{projectId}/identity-memberships"));

        AssertMembers(body, "identityMemberships");
        JsonArray list = body["identityMemberships"]!.AsArray();
        Assert.Equal(2, list.Count);
        first["identity"] = new JsonObject { ["id"] = zulu, ["name"] = "zulu-identity" };
        second["identity"] = new JsonObject { ["id"] = alpha, ["name"] = "alpha-identity" };
        Assert.True(JsonNode.DeepEquals(first, list[0]), list.ToJsonString());
        Assert.True(JsonNode.DeepEquals(second, list[1]), list.ToJsonString());
    }

    [Fact]
    public async Task RemoveIdentity_Member_ReturnsMembershipThenNotAMember()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "Identity Remove");
        string identityId = await CreateIdentityAsync(admin, "removed-identity");
        JsonObject added = await AddIdentityMembershipAsync(admin.Client, projectId, identityId, "viewer");
        string route = $"/api/v1/projects/{projectId}/identity-memberships/{identityId}";

        JsonObject removed = await ApiAssert.OkAsync(await admin.Client.DeleteAsync(route));
        HttpResponseMessage again = await admin.Client.DeleteAsync(route);
        HttpResponseMessage invalid = await admin.Client.DeleteAsync($"/api/v1/projects/{projectId}/identity-memberships/not-a-uuid");
        JsonObject list = await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/projects/{projectId}/identity-memberships"));

        AssertMembers(removed, "identityMembership");
        Assert.True(JsonNode.DeepEquals(added, removed["identityMembership"]), removed.ToJsonString());
        await ApiAssert.ErrorAsync(again, 404, "NotFound", $"Identity with ID \"{identityId}\" is not a member of project with ID \"{projectId}\"");
        await ApiAssert.ErrorAsync(invalid, 422, "ValidationFailure", "identityId: Invalid uuid");
        Assert.Empty(list["identityMemberships"]!.AsArray());
    }

    [Fact]
    public async Task AddUser_EmailInAnyCase_AddsNoAccessMembershipOfThatUser()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "User Members");

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync(
            $"/api/v1/projects/{projectId}/memberships", new { email = "ADMIN@Example.COM" }));

        AssertMembers(body, "membership");
        JsonObject membership = body["membership"]!.AsObject();
        AssertMembers(membership, "id", "userId", "projectId", "role", "createdAt", "user");
        Assert.Matches(Uuid, (string)membership["id"]!);
        Assert.Matches(Uuid, (string)membership["userId"]!);
        Assert.Equal(projectId, (string?)membership["projectId"]);
        Assert.Equal("no-access", (string?)membership["role"]);
        Assert.Matches(Timestamp, (string)membership["createdAt"]!);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["id"] = (string?)membership["userId"], ["email"] = BootstrapEmail }, membership["user"]),
            membership.ToJsonString());
    }

    [Theory]
    [InlineData("""{"email":"nobody@example.com"}""", 404, "NotFound", "User with email \"nobody@example.com\" not found")]
    [InlineData("""{"email":"not-an-email"}""", 422, "ValidationFailure", "email: Invalid email")]
    [InlineData("""{"role":"viewer"}""", 422, "ValidationFailure", "email: Required")]
    [InlineData("""{"email":"admin@example.com","role":"owner"}""", 422, "ValidationFailure", RoleEnumMessage)]
    public async Task AddUser_UnknownOrInvalid_Fails(string json, int status, string error, string message)
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "User Errors");

        HttpResponseMessage response = await admin.Client.PostAsync($"/api/v1/projects/{projectId}/memberships", Json(json));

        await ApiAssert.ErrorAsync(response, status, error, message);
    }

    [Fact]
    public async Task AddUser_Twice_Returns400()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "User Twice");
        await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync($"/api/v1/projects/{projectId}/memberships", new { email = BootstrapEmail, role = "viewer" }));

        HttpResponseMessage response = await admin.Client.PostAsJsonAsync($"/api/v1/projects/{projectId}/memberships", new { email = BootstrapEmail });

        await ApiAssert.ErrorAsync(response, 400, "BadRequest", $"User with email \"{BootstrapEmail}\" is already a member of project with ID \"{projectId}\"");
    }

    [Fact]
    public async Task ListAndRemoveUser_Member_ListsThenRemovesIt()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "User Remove");
        JsonObject added = (await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync(
            $"/api/v1/projects/{projectId}/memberships", new { email = BootstrapEmail, role = "member" })))["membership"]!.AsObject();
        string userId = (string)added["userId"]!;

        JsonObject listed = await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/projects/{projectId}/memberships"));
        JsonObject removed = await ApiAssert.OkAsync(await admin.Client.DeleteAsync($"/api/v1/projects/{projectId}/memberships/{userId}"));
        HttpResponseMessage again = await admin.Client.DeleteAsync($"/api/v1/projects/{projectId}/memberships/{userId}");
        HttpResponseMessage invalid = await admin.Client.DeleteAsync($"/api/v1/projects/{projectId}/memberships/not-a-uuid");
        JsonObject after = await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/projects/{projectId}/memberships"));

        AssertMembers(listed, "memberships");
        Assert.True(JsonNode.DeepEquals(new JsonArray(added.DeepClone()), listed["memberships"]), listed.ToJsonString());
        AssertMembers(removed, "membership");
        Assert.True(JsonNode.DeepEquals(added, removed["membership"]), removed.ToJsonString());
        await ApiAssert.ErrorAsync(again, 404, "NotFound", $"User with ID \"{userId}\" is not a member of project with ID \"{projectId}\"");
        await ApiAssert.ErrorAsync(invalid, 422, "ValidationFailure", "userId: Invalid uuid");
        Assert.Empty(after["memberships"]!.AsArray());
    }

    [Fact]
    public async Task MembershipRoutes_CallerWithoutMembership_Return404()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller outsider = await CreateCallerAsync(factory, admin, "outsider");
        string projectId = await CreateProjectIdAsync(admin.Client, "Closed Project");
        string target = await CreateIdentityAsync(admin, "closed-target");
        string expected = $"Project with ID \"{projectId}\" not found";

        var responses = new[]
        {
            await outsider.Client.GetAsync($"/api/v1/projects/{projectId}"),
            await outsider.Client.DeleteAsync($"/api/v1/projects/{projectId}"),
            await outsider.Client.PostAsync($"/api/v1/projects/{projectId}/identity-memberships/{target}", null),
            await outsider.Client.GetAsync($"/api/v1/projects/{projectId}/identity-memberships"),
            await outsider.Client.DeleteAsync($"/api/v1/projects/{projectId}/identity-memberships/{target}"),
            await outsider.Client.PostAsJsonAsync($"/api/v1/projects/{projectId}/memberships", new { email = BootstrapEmail }),
            await outsider.Client.GetAsync($"/api/v1/projects/{projectId}/memberships"),
            await outsider.Client.DeleteAsync($"/api/v1/projects/{projectId}/memberships/{Guid.NewGuid()}"),
        };

        foreach (HttpResponseMessage response in responses)
        {
            await ApiAssert.ErrorAsync(response, 404, "NotFound", expected);
        }
    }

    /// <summary>Spec §9.4: project, identity and member actions of each project role.</summary>
    [Theory]
    [InlineData("admin", true, true, true, true)]
    [InlineData("member", true, false, true, false)]
    [InlineData("viewer", true, false, true, false)]
    [InlineData("cryptographic-operator", true, false, false, false)]
    [InlineData("no-access", false, false, false, false)]
    public async Task ProjectRole_ProjectIdentityAndMemberActions_FollowRoleTable(
        string role, bool readProject, bool deleteProject, bool readMemberships, bool manageMemberships)
    {
        // Arrange: a caller with this role, an identity and the bootstrap user already members, an identity not yet a member.
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, $"Roles {role}");
        ApiCaller caller = await CreateCallerAsync(factory, admin, $"role-{role}");
        await AddIdentityMembershipAsync(admin.Client, projectId, caller.IdentityId, role);
        string member = await CreateIdentityAsync(admin, $"member-of-{role}");
        await AddIdentityMembershipAsync(admin.Client, projectId, member, "viewer");
        string newcomer = await CreateIdentityAsync(admin, $"newcomer-of-{role}");
        string userId = (string)(await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync(
            $"/api/v1/projects/{projectId}/memberships", new { email = BootstrapEmail })))["membership"]!["userId"]!;
        string project = $"/api/v1/projects/{projectId}";

        // Act / Assert, the project's deletion last.
        await ExpectAsync(await caller.Client.GetAsync(project), readProject, "read", "project");
        await ExpectAsync(await caller.Client.GetAsync($"{project}/identity-memberships"), readMemberships, "read", "identity");
        await ExpectAsync(await caller.Client.GetAsync($"{project}/memberships"), readMemberships, "read", "member");
        await ExpectAsync(await caller.Client.PostAsync($"{project}/identity-memberships/{newcomer}", null), manageMemberships, "create", "identity");
        await ExpectAsync(await caller.Client.DeleteAsync($"{project}/identity-memberships/{member}"), manageMemberships, "delete", "identity");
        await ExpectAsync(await caller.Client.DeleteAsync($"{project}/memberships/{userId}"), manageMemberships, "delete", "member");
        await ExpectAsync(await caller.Client.PostAsJsonAsync($"{project}/memberships", new { email = BootstrapEmail }), manageMemberships, "create", "member");
        await ExpectAsync(await caller.Client.DeleteAsync(project), deleteProject, "delete", "project");
    }

    private static async Task ExpectAsync(HttpResponseMessage response, bool allowed, string action, string subject)
    {
        if (allowed)
        {
            await ApiAssert.OkAsync(response);
        }
        else
        {
            await ApiAssert.ErrorAsync(response, 403, "PermissionDenied", $"You are not allowed to {action} on {subject}");
        }
    }
}
