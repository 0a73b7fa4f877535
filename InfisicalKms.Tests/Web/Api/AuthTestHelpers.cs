using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>
/// The test server with a client IP address. TestServer leaves <c>Connection.RemoteIpAddress</c> null, and no
/// trusted-IP range contains a null address (not even the default <c>0.0.0.0/0</c>), so Universal Auth tokens
/// could never be used in-process. Here every request comes from 127.0.0.1, as over a loopback TCP socket,
/// or from the address in the <see cref="PeerHeader"/> request header.
/// </summary>
public class PeerAddressKmsFactory : KmsWebApplicationFactory
{
    public const string PeerHeader = "X-Test-Peer-Ip";

    public HttpClient FromPeer(string ip)
    {
        HttpClient client = CreateClient();
        client.DefaultRequestHeaders.Add(PeerHeader, ip);
        return client;
    }

    public HttpClient Authorized(string token, string peerIp)
    {
        HttpClient client = Authorized(token);
        client.DefaultRequestHeaders.Add(PeerHeader, peerIp);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter, PeerAddressStartupFilter>());
    }

    private sealed class PeerAddressStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                string? peer = http.Request.Headers[PeerHeader];
                http.Connection.RemoteIpAddress = peer is null ? IPAddress.Loopback : IPAddress.Parse(peer);
                return nextMiddleware(http);
            });
            next(app);
        };
    }
}

/// <summary>
/// A <see cref="PeerAddressKmsFactory"/> on a <see cref="FakeTimeProvider"/>, shared by the time-dependent tests of
/// a collection. Each test creates its own identities and only ever moves the clock forward.
/// </summary>
public sealed class ClockedKmsFactory : PeerAddressKmsFactory
{
    public ClockedKmsFactory()
    {
        Clock = FakeClock;
    }

    public FakeTimeProvider FakeClock { get; } = new();
}

/// <summary>
/// One server shared by the classes that create their own projects, identities and keys. Sharing keeps the
/// suite fast (each server start costs seconds); no test there depends on the absence of others' data.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedServerCollection : ICollectionFixture<PeerAddressKmsFactory>
{
    public const string Name = "Shared server";
}

/// <summary>A server on the system clock and one on a fake clock, shared by the token and login tests.</summary>
[CollectionDefinition(Name)]
public sealed class TokenServersCollection : ICollectionFixture<PeerAddressKmsFactory>, ICollectionFixture<ClockedKmsFactory>
{
    public const string Name = "Token servers";
}

/// <summary>One server for the tests that only read the app's description (endpoints, OpenAPI, status).</summary>
[CollectionDefinition(Name)]
public sealed class ApiDescriptionCollection : ICollectionFixture<KmsWebApplicationFactory>
{
    public const string Name = "API description";
}

/// <summary>A machine identity logged in through Universal Auth, with a client carrying its token.</summary>
public sealed record ApiCaller(string IdentityId, string ClientId, string ClientSecret, string Token, HttpClient Client);

/// <summary>Set-up steps shared by the API tests: projects, identities, Universal Auth, logins.</summary>
public static class AuthTestHelpers
{
    public const string Uuid = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
    public const string Timestamp = @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$";
    public const string TokenPattern = @"^[A-Za-z0-9_.\-]{43,}$";
    public const string Password = "correct horse battery";

    public static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    /// <summary>Asserts that <paramref name="obj"/> has exactly these members (in any order).</summary>
    public static void AssertMembers(JsonObject obj, params string[] names) =>
        Assert.Equal(names.Order(StringComparer.Ordinal), obj.Select(p => p.Key).Order(StringComparer.Ordinal));

    public static async Task<JsonObject> CreateProjectAsync(HttpClient admin, string name = "Test Project")
    {
        HttpResponseMessage response = await admin.PostAsJsonAsync("/api/v1/projects", new { projectName = name });
        return (await ApiAssert.OkAsync(response))["project"]!.AsObject();
    }

    public static async Task<string> CreateProjectIdAsync(HttpClient admin, string name = "Test Project") =>
        (string)(await CreateProjectAsync(admin, name))["id"]!;

    public static async Task<string> CreateIdentityAsync(AdminContext admin, string name, string role = "member")
    {
        HttpResponseMessage response = await admin.Client.PostAsJsonAsync("/api/v1/identities",
            new { name, organizationId = admin.OrganizationId, role });
        return (string)(await ApiAssert.OkAsync(response))["identity"]!["id"]!;
    }

    /// <summary>Attaches Universal Auth; <paramref name="body"/> null sends no body (all defaults).</summary>
    public static async Task<JsonObject> AttachUniversalAuthAsync(HttpClient admin, string identityId, object? body = null)
    {
        string url = $"/api/v1/auth/universal-auth/identities/{identityId}";
        HttpResponseMessage response = body is null ? await admin.PostAsync(url, null) : await admin.PostAsJsonAsync(url, body);
        return (await ApiAssert.OkAsync(response))["identityUniversalAuth"]!.AsObject();
    }

    /// <summary>Creates a client secret and returns the whole response (<c>clientSecret</c>, <c>clientSecretData</c>).</summary>
    public static async Task<JsonObject> CreateClientSecretAsync(HttpClient admin, string identityId, object? body = null)
    {
        HttpResponseMessage response = await admin.PostAsJsonAsync(
            $"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets", body ?? new { });
        return await ApiAssert.OkAsync(response);
    }

    public static Task<HttpResponseMessage> LoginAsync(HttpClient client, string clientId, string clientSecret) =>
        client.PostAsJsonAsync("/api/v1/auth/universal-auth/login", new { clientId, clientSecret });

    /// <summary>
    /// A new identity (organization role <paramref name="orgRole"/>) with Universal Auth and one client secret,
    /// logged in from the default peer (127.0.0.1).
    /// </summary>
    public static async Task<ApiCaller> CreateCallerAsync(
        PeerAddressKmsFactory factory, AdminContext admin, string name, string orgRole = "member", object? attachBody = null)
    {
        string identityId = await CreateIdentityAsync(admin, name, orgRole);
        string clientId = (string)(await AttachUniversalAuthAsync(admin.Client, identityId, attachBody))["clientId"]!;
        string secret = (string)(await CreateClientSecretAsync(admin.Client, identityId))["clientSecret"]!;
        JsonObject login = await ApiAssert.OkAsync(await LoginAsync(factory.CreateClient(), clientId, secret));
        string token = (string)login["accessToken"]!;
        return new ApiCaller(identityId, clientId, secret, token, factory.Authorized(token));
    }

    public static async Task<JsonObject> AddIdentityMembershipAsync(HttpClient admin, string projectId, string identityId, string role)
    {
        HttpResponseMessage response = await admin.PostAsJsonAsync(
            $"/api/v1/projects/{projectId}/identity-memberships/{identityId}", new { role });
        return (await ApiAssert.OkAsync(response))["identityMembership"]!.AsObject();
    }

    public static async Task<string> CreateAesKeyAsync(HttpClient admin, string projectId, string name)
    {
        HttpResponseMessage response = await admin.PostAsJsonAsync("/api/v1/kms/keys",
            new { projectId, name, keyUsage = "encrypt-decrypt", algorithm = "aes-256-gcm" });
        return (string)(await ApiAssert.OkAsync(response))["key"]!["id"]!;
    }
}
