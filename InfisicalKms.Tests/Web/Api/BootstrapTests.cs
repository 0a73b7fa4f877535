using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.AuthTestHelpers;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>First-run set-up (spec §8.5). Tests that bootstrap use a fresh server each; the fixture is already set up.</summary>
public sealed class BootstrapTests(PeerAddressKmsFactory factory) : IClassFixture<PeerAddressKmsFactory>
{
    private const string Route = "/api/v1/admin/bootstrap";

    [Fact]
    public async Task Bootstrap_FreshInstance_ReturnsUserOrganizationAndRevocableAdminToken()
    {
        // Arrange: a fresh instance; a stale Authorization header on this public route is ignored (spec §1.2).
        using var server = new PeerAddressKmsFactory();
        HttpClient client = server.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer stale-token-from-elsewhere");

        // Act
        JsonObject body = await ApiAssert.OkAsync(await client.PostAsJsonAsync(Route,
            new { email = "  Admin@Example.COM ", password = Password, organization = " Example Corp " }));

        // Assert: the shape of spec §8.5.
        AssertMembers(body, "message", "user", "organization", "identity");
        Assert.Equal("Successfully bootstrapped instance", (string?)body["message"]);
        JsonObject user = body["user"]!.AsObject();
        AssertMembers(user, "id", "email");
        Assert.Matches(Uuid, (string)user["id"]!);
        Assert.Equal("admin@example.com", (string?)user["email"]);
        JsonObject organization = body["organization"]!.AsObject();
        AssertMembers(organization, "id", "name", "slug");
        Assert.Matches(Uuid, (string)organization["id"]!);
        Assert.Equal("Example Corp", (string?)organization["name"]);
        Assert.Equal("example-corp", (string?)organization["slug"]);
        JsonObject identity = body["identity"]!.AsObject();
        AssertMembers(identity, "id", "name", "credentials");
        Assert.Matches(Uuid, (string)identity["id"]!);
        Assert.Equal("instance-admin", (string?)identity["name"]);
        AssertMembers(identity["credentials"]!.AsObject(), "token");
        string token = (string)identity["credentials"]!["token"]!;
        Assert.Matches(TokenPattern, token);

        // Assert: the token is the organization-admin identity's, and revocable (spec §8.1).
        HttpClient admin = server.Authorized(token);
        JsonObject identities = await ApiAssert.OkAsync(await admin.GetAsync($"/api/v1/identities?organizationId={organization["id"]}"));
        JsonNode instanceAdmin = Assert.Single(identities["identities"]!.AsArray())!;
        Assert.Equal((string?)identity["id"], (string?)instanceAdmin["id"]);
        Assert.Equal("admin", (string?)instanceAdmin["role"]);
        Assert.Equal(["token"], instanceAdmin["authMethods"]!.AsArray().Select(m => (string)m!));
        await ApiAssert.OkAsync(await admin.PostAsJsonAsync("/api/v1/projects", new { projectName = "First" }));
        await ApiAssert.OkAsync(await server.CreateClient().PostAsJsonAsync("/api/v1/auth/token/revoke", new { accessToken = token }));
        await ApiAssert.ErrorAsync(await admin.GetAsync("/api/v1/projects"), 401, "UnauthorizedError", "Invalid token");
    }

    /// <summary>Lower-cased, runs outside a–z0–9 become one hyphen, hyphens trimmed, cut to 32; "organization" if empty.</summary>
    [Theory]
    [InlineData("  ¡Ünïcode & Co. -- Ltd: a very long organization name!! ", "¡Ünïcode & Co. -- Ltd: a very long organization name!!", "n-code-co-ltd-a-very-long-organi")]
    [InlineData("!!!", "!!!", "organization")]
    public async Task Bootstrap_OrganizationName_DerivesSlug(string organization, string expectedName, string expectedSlug)
    {
        using var server = new PeerAddressKmsFactory();

        JsonObject body = await ApiAssert.OkAsync(await server.CreateClient().PostAsJsonAsync(Route,
            new { email = "slug@example.com", password = Password, organization }));

        Assert.Equal(expectedName, (string?)body["organization"]!["name"]);
        Assert.Equal(expectedSlug, (string?)body["organization"]!["slug"]);
    }

    [Fact]
    public async Task Bootstrap_AlreadySetUp_Returns400()
    {
        await factory.AdminAsync();

        HttpResponseMessage response = await factory.CreateClient().PostAsJsonAsync(Route,
            new { email = "other@example.com", password = Password, organization = "Other Corp" });

        await ApiAssert.ErrorAsync(response, 400, "BadRequest", "Instance has already been set up");
    }

    [Theory]
    [InlineData("""{"email":"not-an-email","password":"correct horse battery","organization":"Org"}""", "email: Invalid email")]
    [InlineData("""{"email":"a@b","password":"correct horse battery","organization":"Org"}""", "email: Invalid email")]
    [InlineData("""{"password":"correct horse battery","organization":"Org"}""", "email: Required")]
    [InlineData("""{"email":"a@example.com","password":"elevenchars","organization":"Org"}""", "password: Password must be at least 12 characters")]
    [InlineData("""{"email":"a@example.com","organization":"Org"}""", "password: Required")]
    [InlineData("""{"email":"a@example.com","password":"correct horse battery"}""", "organization: Required")]
    [InlineData("""{"email":"a@example.com","password":"correct horse battery","organization":null}""", "organization: Required")]
    [InlineData("""{"email":"a@example.com","password":"correct horse battery","organization":"   "}""", "organization: String must contain at least 1 character(s)")]
    [InlineData("""{"email":"a@example.com","password":"correct horse battery","organization":42}""", "organization: Expected string, received number")]
    public async Task Bootstrap_InvalidField_Returns422BeforeSetUpCheck(string json, string message)
    {
        await factory.AdminAsync();

        HttpResponseMessage response = await factory.CreateClient().PostAsync(Route, Json(json));

        await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task Bootstrap_PasswordTooLongOrOrganizationTooLong_Returns422()
    {
        HttpClient client = factory.CreateClient();

        HttpResponseMessage password = await client.PostAsJsonAsync(Route,
            new { email = "a@example.com", password = new string('p', 129), organization = "Org" });
        HttpResponseMessage organization = await client.PostAsJsonAsync(Route,
            new { email = "a@example.com", password = new string('p', 128), organization = new string('o', 65) });

        await ApiAssert.ErrorAsync(password, 422, "ValidationFailure", "password: Password must be at most 128 characters");
        await ApiAssert.ErrorAsync(organization, 422, "ValidationFailure", "organization: String must contain at most 64 character(s)");
    }

    [Fact]
    public async Task Bootstrap_SeveralInvalidFields_ReportsEachInFieldOrder()
    {
        HttpResponseMessage response = await factory.CreateClient().PostAsync(Route, Json("""{"password":"short","email":"nope"}"""));

        JsonObject body = await ApiAssert.ErrorAsync(response, 422, "ValidationFailure",
            "email: Invalid email; password: Password must be at least 12 characters; organization: Required");
        Assert.Equal(["email", "password", "organization"], body["details"]!.AsArray().Select(d => (string)d!["field"]!));
    }

    [Fact]
    public async Task Bootstrap_ConcurrentRequests_ExactlyOneSucceeds()
    {
        using var server = new PeerAddressKmsFactory();
        HttpClient client = server.CreateClient();

        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            client.PostAsJsonAsync(Route, new { email = $"racer{i}@example.com", password = Password, organization = $"Racer {i}" })));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (HttpResponseMessage loser in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            await ApiAssert.ErrorAsync(loser, 400, "BadRequest", "Instance has already been set up");
        }
    }
}
