using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.AuthTestHelpers;

namespace InfisicalKms.Tests.Web.Api.Kmip;

/// <summary>Managing KMIP clients over the API: the client object, listing, changes, revocation, deletion, and refusals.</summary>
[Collection(KmipApiCollection.Name)]
public sealed class KmipClientEndpointsTests(KmipApiFactory factory)
{
    private const string Clients = KmipApiFactory.Clients;
    private const string PermissionNames =
        "'create' | 'register' | 'locate' | 'get' | 'get-attributes' | 'activate' | 'revoke' | 'destroy' | 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'mac'";

    [Fact]
    public async Task Create_ValidBody_ReturnsTheClientWithPermissionsInCanonicalOrder()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "KMIP Create");

        JsonObject client = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync(Clients, new
        {
            projectId, name = " mysql-keyring ", description = "MySQL Enterprise", permissions = new[] { "mac", "get", "create", "get" },
        }));

        AssertMembers(client, "id", "projectId", "name", "description", "permissions", "createdAt", "updatedAt", "revokedAt");
        Assert.Matches(Uuid, (string)client["id"]!);
        Assert.Equal(projectId, (string?)client["projectId"]);
        Assert.Equal("mysql-keyring", (string?)client["name"]);
        Assert.Equal("MySQL Enterprise", (string?)client["description"]);
        Assert.Equal(["create", "get", "mac"], client["permissions"]!.AsArray().Select(p => (string)p!));
        Assert.Matches(Timestamp, (string)client["createdAt"]!);
        Assert.Null(client["revokedAt"]);
    }

    [Theory]
    [InlineData("""{"projectId":"P","name":"","permissions":[]}""", "name: Name field must be at least 1 lowercase character")]
    [InlineData("""{"projectId":"P","name":"a123456789b123456789c123456789d123456789e123456789f123456789g1234","permissions":[]}""",
        "name: Name field must be at most 64 lowercase characters")]
    [InlineData("""{"projectId":"P","name":"My Client","permissions":[]}""", "name: Name field can only contain lowercase letters, numbers, and hyphens")]
    [InlineData("""{"projectId":"P","name":"ok"}""", "permissions: Required")]
    [InlineData("""{"projectId":"P","name":"ok","permissions":"get"}""", "permissions: Expected array, received string")]
    [InlineData("""{"projectId":"P","name":"ok","permissions":["get","fly"]}""",
        "permissions[1]: Invalid enum value. Expected " + PermissionNames + ", received 'fly'")]
    [InlineData("""{"projectId":"P","name":"ok","permissions":[7]}""", "permissions[0]: Expected string, received number")]
    [InlineData("""{"name":"ok","permissions":[]}""", "projectId: Required")]
    public async Task Create_InvalidBody_Returns422NamingTheField(string json, string message)
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "KMIP Invalid");

        HttpResponseMessage response = await admin.Client.PostAsync(Clients, Json(json.Replace("\"P\"", $"\"{projectId}\"", StringComparison.Ordinal)));

        await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task Create_DescriptionTooLong_Returns422()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "KMIP Description");

        HttpResponseMessage response = await admin.Client.PostAsJsonAsync(Clients, new { projectId, name = "long", description = new string('x', 257), permissions = Array.Empty<string>() });

        await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", "description: String must contain at most 256 character(s)");
    }

    [Fact]
    public async Task Create_DuplicateName_Returns400()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "KMIP Duplicate");
        await factory.CreateClientAsync(projectId, "hypervisor", "get");

        HttpResponseMessage response = await admin.Client.PostAsJsonAsync(Clients, new { projectId, name = "hypervisor", permissions = new[] { "get" } });

        await ApiAssert.ErrorAsync(response, 400, "BadRequest", $"A KMIP client with the name \"hypervisor\" already exists for the project with ID \"{projectId}\"");
    }

    [Fact]
    public async Task List_ProjectWithSearchAndPaging_ReturnsKmipClientsAndTotalCount()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "KMIP List");
        foreach (string name in new[] { "san-b", "san-a", "idrac" })
        {
            await factory.CreateClientAsync(projectId, name, "locate");
        }

        JsonObject all = await ApiAssert.OkAsync(await admin.Client.GetAsync($"{Clients}?projectId={projectId}"));
        JsonObject page = await ApiAssert.OkAsync(await admin.Client.GetAsync($"{Clients}?projectId={projectId}&search=san&offset=1&limit=1"));

        AssertMembers(all, "kmipClients", "totalCount");
        Assert.Equal(["idrac", "san-a", "san-b"], all["kmipClients"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal(3, (int)all["totalCount"]!);
        Assert.Equal(["san-b"], page["kmipClients"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal(2, (int)page["totalCount"]!);
    }

    [Theory]
    [InlineData("", "projectId: Required")]
    [InlineData("&limit=0", "limit: Number must be greater than or equal to 1")]
    [InlineData("&offset=x", "offset: Expected number, received nan")]
    public async Task List_InvalidQuery_Returns422(string query, string message)
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "KMIP List Invalid");

        HttpResponseMessage response = await admin.Client.GetAsync($"{Clients}?projectId={(query.Length == 0 ? "" : projectId)}{query}");

        await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task GetUpdateRevokeDelete_OneClient_EachAnswersTheClient()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "KMIP Lifecycle");
        string id = (string)(await factory.CreateClientAsync(projectId, "mongo", "get"))["id"]!;

        JsonObject got = await ApiAssert.OkAsync(await admin.Client.GetAsync($"{Clients}/{id}"));
        JsonObject updated = await ApiAssert.OkAsync(await admin.Client.PatchAsJsonAsync($"{Clients}/{id}",
            new { name = "mongodb", description = "encryption at rest", permissions = new[] { "create", "get", "activate" } }));
        JsonObject revoked = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync($"{Clients}/{id}/revoke", new { }));
        HttpResponseMessage again = await admin.Client.PostAsJsonAsync($"{Clients}/{id}/revoke", new { });
        JsonObject deleted = await ApiAssert.OkAsync(await admin.Client.DeleteAsync($"{Clients}/{id}"));
        HttpResponseMessage gone = await admin.Client.GetAsync($"{Clients}/{id}");

        Assert.Equal("mongo", (string?)got["name"]);
        Assert.Equal(("mongodb", "encryption at rest"), ((string?)updated["name"], (string?)updated["description"]));
        Assert.Equal(["create", "get", "activate"], updated["permissions"]!.AsArray().Select(p => (string)p!));
        Assert.Matches(Timestamp, (string)revoked["revokedAt"]!);
        await ApiAssert.ErrorAsync(again, 400, "BadRequest", $"KMIP client with ID '{id}' is already revoked");
        Assert.Equal(id, (string?)deleted["id"]);
        await ApiAssert.ErrorAsync(gone, 404, "NotFound", $"KMIP client with ID '{id}' not found");
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("PATCH", "")]
    [InlineData("DELETE", "")]
    [InlineData("POST", "/revoke")]
    [InlineData("POST", "/certificates")]
    [InlineData("GET", "/certificates")]
    public async Task ClientRoutes_NotAUuidOrUnknown_Return422Or404(string method, string suffix)
    {
        AdminContext admin = await factory.AdminAsync();
        string unknown = Guid.NewGuid().ToString();

        HttpResponseMessage invalid = await admin.Client.SendAsync(Request(method, $"{Clients}/not-a-uuid{suffix}"));
        HttpResponseMessage missing = await admin.Client.SendAsync(Request(method, $"{Clients}/{unknown}{suffix}"));

        await ApiAssert.ErrorAsync(invalid, 422, "ValidationFailure", "clientId: Invalid uuid");
        await ApiAssert.ErrorAsync(missing, 404, "NotFound", $"KMIP client with ID '{unknown}' not found");
    }

    [Fact]
    public async Task Viewer_MayReadButNotCreate_AndANonMemberSeesNothing()
    {
        AdminContext admin = await factory.AdminAsync();
        string projectId = await CreateProjectIdAsync(admin.Client, "KMIP Roles");
        string id = (string)(await factory.CreateClientAsync(projectId, "seen", "get"))["id"]!;
        ApiCaller viewer = await CreateCallerAsync(factory, admin, "kmip-viewer");
        ApiCaller outsider = await CreateCallerAsync(factory, admin, "kmip-outsider");
        await AddIdentityMembershipAsync(admin.Client, projectId, viewer.IdentityId, "viewer");

        await ApiAssert.OkAsync(await viewer.Client.GetAsync($"{Clients}/{id}"));
        await ApiAssert.OkAsync(await viewer.Client.GetAsync($"{Clients}?projectId={projectId}"));
        HttpResponseMessage create = await viewer.Client.PostAsJsonAsync(Clients, new { projectId, name = "not-mine", permissions = new[] { "get" } });
        HttpResponseMessage issue = await viewer.Client.PostAsJsonAsync($"{Clients}/{id}/certificates", new { });
        HttpResponseMessage hidden = await outsider.Client.GetAsync($"{Clients}/{id}");
        HttpResponseMessage list = await outsider.Client.GetAsync($"{Clients}?projectId={projectId}");

        await ApiAssert.ErrorAsync(create, 403, "PermissionDenied", "You are not allowed to create-clients on kmip");
        await ApiAssert.ErrorAsync(issue, 403, "PermissionDenied", "You are not allowed to generate-client-certificates on kmip");
        await ApiAssert.ErrorAsync(hidden, 404, "NotFound", $"KMIP client with ID '{id}' not found");
        await ApiAssert.ErrorAsync(list, 404, "NotFound", $"Project with ID \"{projectId}\" not found");
    }

    private static HttpRequestMessage Request(string method, string path) =>
        new(new HttpMethod(method), path) { Content = method is "POST" or "PATCH" ? Json("{}") : null };
}
