using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.AuthTestHelpers;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>Machine identities (spec §8.7): organization admins only.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class IdentityEndpointsTests(PeerAddressKmsFactory factory)
{
    [Fact]
    public async Task Create_NameOnly_ReturnsMemberIdentityWithoutAuthMethods()
    {
        AdminContext admin = await factory.AdminAsync();

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync("/api/v1/identities",
            new { name = "  billing-service ", organizationId = admin.OrganizationId }));

        AssertMembers(body, "identity");
        JsonObject identity = body["identity"]!.AsObject();
        AssertMembers(identity, "id", "name", "orgId", "role", "authMethods", "createdAt", "updatedAt");
        Assert.Matches(Uuid, (string)identity["id"]!);
        Assert.Equal("billing-service", (string?)identity["name"]);
        Assert.Equal(admin.OrganizationId, (string?)identity["orgId"]);
        Assert.Equal("member", (string?)identity["role"]);
        Assert.Empty(identity["authMethods"]!.AsArray());
        Assert.Matches(Timestamp, (string)identity["createdAt"]!);
        Assert.Matches(Timestamp, (string)identity["updatedAt"]!);
    }

    [Fact]
    public async Task Create_AdminRole_ReturnsAdminIdentity()
    {
        AdminContext admin = await factory.AdminAsync();

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync("/api/v1/identities",
            new { name = "ops-admin", organizationId = admin.OrganizationId, role = "admin" }));

        Assert.Equal("admin", (string?)body["identity"]!["role"]);
    }

    [Theory]
    [InlineData("""{"organizationId":"ORG"}""", "name: Required")]
    [InlineData("""{"name":"x","organizationId":"ORG","role":"owner"}""", "role: Invalid enum value. Expected 'admin' | 'member', received 'owner'")]
    [InlineData("""{"name":"x"}""", "organizationId: Required")]
    [InlineData("""{"name":"x","organizationId":""}""", "organizationId: Required")]
    [InlineData("""{"name":"","organizationId":"ORG"}""", "name: String must contain at least 1 character(s)")]
    public async Task Create_InvalidBody_Returns422(string json, string message)
    {
        AdminContext admin = await factory.AdminAsync();

        HttpResponseMessage response = await admin.Client.PostAsync("/api/v1/identities", Json(json.Replace("ORG", admin.OrganizationId)));

        await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", message);
    }

    [Theory]
    [InlineData("5b0e7a52-3d8e-4b8f-9a51-0c2d4e6f8a10")]
    [InlineData("some-other-org")]
    public async Task CreateOrList_OtherOrganization_Returns404(string organizationId)
    {
        AdminContext admin = await factory.AdminAsync();

        HttpResponseMessage create = await admin.Client.PostAsJsonAsync("/api/v1/identities", new { name = "elsewhere", organizationId });
        HttpResponseMessage list = await admin.Client.GetAsync($"/api/v1/identities?organizationId={organizationId}");

        await ApiAssert.ErrorAsync(create, 404, "NotFound", $"Organization with ID \"{organizationId}\" not found");
        await ApiAssert.ErrorAsync(list, 404, "NotFound", $"Organization with ID \"{organizationId}\" not found");
    }

    [Fact]
    public async Task List_Organization_ReturnsIdentitiesOrderedByNameWithAuthMethods()
    {
        AdminContext admin = await factory.AdminAsync();
        string withUa = await CreateIdentityAsync(admin, "zz-with-universal-auth");
        await AttachUniversalAuthAsync(admin.Client, withUa);
        string plain = await CreateIdentityAsync(admin, "aa-plain");

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/identities?organizationId={admin.OrganizationId}"));

        AssertMembers(body, "identities");
        List<JsonObject> identities = body["identities"]!.AsArray().Select(i => i!.AsObject()).ToList();
        List<string> names = identities.Select(i => (string)i["name"]!).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Equal(["universal-auth"], AuthMethods(identities.Single(i => (string?)i["id"] == withUa)));
        Assert.Empty(AuthMethods(identities.Single(i => (string?)i["id"] == plain)));
        Assert.Equal(["token"], AuthMethods(identities.Single(i => (string?)i["id"] == admin.IdentityId)));
        Assert.Equal("instance-admin", (string?)identities.Single(i => (string?)i["id"] == admin.IdentityId)["name"]);
    }

    [Fact]
    public async Task List_WithoutOrganizationId_Returns422()
    {
        AdminContext admin = await factory.AdminAsync();

        HttpResponseMessage missing = await admin.Client.GetAsync("/api/v1/identities");
        HttpResponseMessage empty = await admin.Client.GetAsync("/api/v1/identities?organizationId=");

        await ApiAssert.ErrorAsync(missing, 422, "ValidationFailure", "organizationId: Required");
        await ApiAssert.ErrorAsync(empty, 422, "ValidationFailure", "organizationId: Required");
    }

    [Fact]
    public async Task IdentityRoutes_OrganizationMember_Return403()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller member = await CreateCallerAsync(factory, admin, "identity-member");
        string target = await CreateIdentityAsync(admin, "identity-target");

        HttpResponseMessage create = await member.Client.PostAsJsonAsync("/api/v1/identities",
            new { name = "sneaky", organizationId = admin.OrganizationId });
        HttpResponseMessage list = await member.Client.GetAsync($"/api/v1/identities?organizationId={admin.OrganizationId}");
        HttpResponseMessage delete = await member.Client.DeleteAsync($"/api/v1/identities/{target}");

        await ApiAssert.ErrorAsync(create, 403, "PermissionDenied", "You are not allowed to create on identity");
        await ApiAssert.ErrorAsync(list, 403, "PermissionDenied", "You are not allowed to read on identity");
        await ApiAssert.ErrorAsync(delete, 403, "PermissionDenied", "You are not allowed to delete on identity");
    }

    [Fact]
    public async Task Delete_Identity_ReturnsItRevokesItsTokensAndSecrets()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller caller = await CreateCallerAsync(factory, admin, "to-be-deleted");
        await ApiAssert.OkAsync(await caller.Client.GetAsync("/api/v1/projects"));

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.DeleteAsync($"/api/v1/identities/{caller.IdentityId}"));

        JsonObject identity = body["identity"]!.AsObject();
        AssertMembers(identity, "id", "name", "orgId", "role", "authMethods", "createdAt", "updatedAt");
        Assert.Equal(caller.IdentityId, (string?)identity["id"]);
        Assert.Equal("to-be-deleted", (string?)identity["name"]);
        Assert.Equal(["universal-auth"], AuthMethods(identity));
        await ApiAssert.ErrorAsync(await caller.Client.GetAsync("/api/v1/projects"), 401, "UnauthorizedError", "Invalid token");
        await ApiAssert.ErrorAsync(await LoginAsync(factory.FromPeer("198.51.100.50"), caller.ClientId, caller.ClientSecret),
            401, "UnauthorizedError", "Invalid credentials");
        await ApiAssert.ErrorAsync(await admin.Client.DeleteAsync($"/api/v1/identities/{caller.IdentityId}"),
            404, "NotFound", $"Identity with ID \"{caller.IdentityId}\" not found");
        JsonObject list = await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/identities?organizationId={admin.OrganizationId}"));
        Assert.DoesNotContain(caller.IdentityId, list["identities"]!.AsArray().Select(i => (string)i!["id"]!));
    }

    [Fact]
    public async Task Delete_Itself_CompletesAndRevokesOwnToken()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller self = await CreateCallerAsync(factory, admin, "self-deleting", orgRole: "admin");

        JsonObject body = await ApiAssert.OkAsync(await self.Client.DeleteAsync($"/api/v1/identities/{self.IdentityId}"));

        Assert.Equal(self.IdentityId, (string?)body["identity"]!["id"]);
        await ApiAssert.ErrorAsync(await self.Client.GetAsync("/api/v1/projects"), 401, "UnauthorizedError", "Invalid token");
    }

    [Fact]
    public async Task Delete_InvalidOrUnknownId_Fails()
    {
        AdminContext admin = await factory.AdminAsync();
        string unknown = Guid.NewGuid().ToString();

        HttpResponseMessage invalid = await admin.Client.DeleteAsync("/api/v1/identities/not-a-uuid");
        HttpResponseMessage missing = await admin.Client.DeleteAsync($"/api/v1/identities/{unknown}");

        await ApiAssert.ErrorAsync(invalid, 422, "ValidationFailure", "identityId: Invalid uuid");
        await ApiAssert.ErrorAsync(missing, 404, "NotFound", $"Identity with ID \"{unknown}\" not found");
    }

    private static IEnumerable<string> AuthMethods(JsonObject identity) => identity["authMethods"]!.AsArray().Select(m => (string)m!);
}
