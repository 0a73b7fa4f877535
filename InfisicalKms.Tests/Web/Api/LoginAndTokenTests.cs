using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;
using static InfisicalKms.Tests.Web.Api.AuthTestHelpers;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>Universal Auth login, renew and revoke (spec §8.1–§8.4) and the login limiter (§1.10).</summary>
[Collection(TokenServersCollection.Name)]
public sealed class LoginAndTokenTests(PeerAddressKmsFactory factory, ClockedKmsFactory clocked)
{
    private const string Renew = "/api/v1/auth/token/renew";
    private const string Revoke = "/api/v1/auth/token/revoke";

    [Fact]
    public async Task Login_ValidCredentials_ReturnsTokenWithDefaultLifetimes()
    {
        AdminContext admin = await factory.AdminAsync();
        (string clientId, string secret) = await UniversalAuthAsync(admin, "login-shape");

        JsonObject body = await ApiAssert.OkAsync(await LoginAsync(factory.CreateClient(), clientId, secret));

        AssertMembers(body, "accessToken", "expiresIn", "accessTokenMaxTTL", "tokenType");
        Assert.Matches(TokenPattern, (string)body["accessToken"]!);
        Assert.Equal(7200, (long)body["expiresIn"]!);
        Assert.Equal(2_592_000, (long)body["accessTokenMaxTTL"]!);
        Assert.Equal("Bearer", (string?)body["tokenType"]);
        await ApiAssert.OkAsync(await factory.Authorized((string)body["accessToken"]!).GetAsync("/api/v1/projects"));
    }

    [Fact]
    public async Task Login_ConfiguredTtls_AreReported()
    {
        AdminContext admin = await factory.AdminAsync();
        (string clientId, string secret) = await UniversalAuthAsync(admin, "login-ttls", new { accessTokenTTL = 600, accessTokenMaxTTL = 1200 });

        JsonObject body = await ApiAssert.OkAsync(await LoginAsync(factory.CreateClient(), clientId, secret));

        Assert.Equal(600, (long)body["expiresIn"]!);
        Assert.Equal(1200, (long)body["accessTokenMaxTTL"]!);
    }

    [Fact]
    public async Task Login_CredentialsWithSurroundingWhitespace_AreTrimmed()
    {
        AdminContext admin = await factory.AdminAsync();
        (string clientId, string secret) = await UniversalAuthAsync(admin, "login-trim");

        await ApiAssert.OkAsync(await LoginAsync(factory.CreateClient(), $"  {clientId} ", $" {secret}  "));
    }

    [Fact]
    public async Task Login_TwoSuccesses_IncrementNumUses()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "login-uses");
        string clientId = (string)(await AttachUniversalAuthAsync(admin.Client, identityId))["clientId"]!;
        string secret = (string)(await CreateClientSecretAsync(admin.Client, identityId))["clientSecret"]!;

        await ApiAssert.OkAsync(await LoginAsync(factory.CreateClient(), clientId, secret));
        await ApiAssert.OkAsync(await LoginAsync(factory.CreateClient(), clientId, secret));

        JsonObject list = await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets"));
        Assert.Equal(2, (long)list["clientSecretData"]![0]!["numUses"]!);
    }

    [Fact]
    public async Task Login_UnknownClientIdOrWrongSecret_ReturnsInvalidCredentials()
    {
        AdminContext admin = await factory.AdminAsync();
        (string clientId, string secret) = await UniversalAuthAsync(admin, "login-wrong");
        HttpClient client = factory.FromPeer("198.51.100.201");

        HttpResponseMessage unknownId = await LoginAsync(client, Guid.NewGuid().ToString(), secret);
        HttpResponseMessage notAUuid = await LoginAsync(client, "not-a-client-id", secret);
        HttpResponseMessage wrongSecret = await LoginAsync(client, clientId, new string('0', 64));
        HttpResponseMessage otherSecret = await LoginAsync(client, clientId, secret[..^1] + (secret[^1] == 'a' ? 'b' : 'a'));

        foreach (HttpResponseMessage response in new[] { unknownId, notAUuid, wrongSecret, otherSecret })
        {
            await ApiAssert.ErrorAsync(response, 401, "UnauthorizedError", "Invalid credentials");
        }
    }

    [Fact]
    public async Task Login_RevokedSecret_ReturnsInvalidCredentials()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "login-revoked");
        string clientId = (string)(await AttachUniversalAuthAsync(admin.Client, identityId))["clientId"]!;
        JsonObject created = await CreateClientSecretAsync(admin.Client, identityId);
        string secretId = (string)created["clientSecretData"]!["id"]!;

        await ApiAssert.OkAsync(await admin.Client.PostAsync(
            $"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets/{secretId}/revoke", null));

        await ApiAssert.ErrorAsync(await LoginAsync(factory.FromPeer("198.51.100.202"), clientId, (string)created["clientSecret"]!),
            401, "UnauthorizedError", "Invalid credentials");
    }

    [Fact]
    public async Task Login_SecretAtNumUsesLimit_ReturnsInvalidCredentials()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "login-exhausted");
        string clientId = (string)(await AttachUniversalAuthAsync(admin.Client, identityId))["clientId"]!;
        string secret = (string)(await CreateClientSecretAsync(admin.Client, identityId, new { numUsesLimit = 2 }))["clientSecret"]!;

        await ApiAssert.OkAsync(await LoginAsync(factory.CreateClient(), clientId, secret));
        await ApiAssert.OkAsync(await LoginAsync(factory.CreateClient(), clientId, secret));

        await ApiAssert.ErrorAsync(await LoginAsync(factory.FromPeer("198.51.100.203"), clientId, secret), 401, "UnauthorizedError", "Invalid credentials");
    }

    [Fact]
    public async Task Login_SecretPastItsTtl_ReturnsInvalidCredentials()
    {
        FakeTimeProvider clock = clocked.FakeClock;
        AdminContext admin = await clocked.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "login-expired-secret");
        string clientId = (string)(await AttachUniversalAuthAsync(admin.Client, identityId))["clientId"]!;
        string secret = (string)(await CreateClientSecretAsync(admin.Client, identityId, new { ttl = 60 }))["clientSecret"]!;

        clock.Advance(TimeSpan.FromSeconds(59));
        HttpResponseMessage beforeExpiry = await LoginAsync(clocked.CreateClient(), clientId, secret);
        clock.Advance(TimeSpan.FromSeconds(1));
        HttpResponseMessage atExpiry = await LoginAsync(clocked.CreateClient(), clientId, secret);

        await ApiAssert.OkAsync(beforeExpiry);
        await ApiAssert.ErrorAsync(atExpiry, 401, "UnauthorizedError", "Invalid credentials");
    }

    [Fact]
    public async Task Login_MissingFields_Returns422()
    {
        HttpResponseMessage response = await factory.CreateClient().PostAsJsonAsync("/api/v1/auth/universal-auth/login", new { other = 1 });

        JsonObject body = await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", "clientId: Required; clientSecret: Required");
        Assert.Equal("clientId", (string?)body["details"]![0]!["field"]);
        Assert.Equal("Required", (string?)body["details"]![0]!["message"]);
    }

    [Fact]
    public async Task Login_OutsideClientSecretTrustedIps_Returns403AfterCheckingCredentials()
    {
        AdminContext admin = await factory.AdminAsync();
        (string clientId, string secret) = await UniversalAuthAsync(admin, "login-ip",
            new { clientSecretTrustedIps = new[] { new { ipAddress = "10.0.0.0/8" } } });

        HttpResponseMessage outside = await LoginAsync(factory.CreateClient(), clientId, secret);
        HttpResponseMessage wrongSecretOutside = await LoginAsync(factory.FromPeer("198.51.100.204"), clientId, new string('f', 64));
        HttpResponseMessage inside = await LoginAsync(factory.FromPeer("10.9.8.7"), clientId, secret);

        await ApiAssert.ErrorAsync(outside, 403, "ForbiddenError", "IP address not allowed");
        await ApiAssert.ErrorAsync(wrongSecretOutside, 401, "UnauthorizedError", "Invalid credentials");
        await ApiAssert.OkAsync(inside);
    }

    [Fact]
    public async Task Renew_LoginToken_ReturnsSameTokenWithFullTtl()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller caller = await CreateCallerAsync(factory, admin, "renew-shape");
        HttpClient client = factory.CreateClient();

        JsonObject body = await ApiAssert.OkAsync(await client.PostAsJsonAsync(Renew, new { accessToken = caller.Token }));

        AssertMembers(body, "accessToken", "expiresIn", "accessTokenMaxTTL", "tokenType");
        Assert.Equal(caller.Token, (string?)body["accessToken"]);
        Assert.Equal(7200, (long)body["expiresIn"]!);
        Assert.Equal(2_592_000, (long)body["accessTokenMaxTTL"]!);
        Assert.Equal("Bearer", (string?)body["tokenType"]);
        await ApiAssert.OkAsync(await caller.Client.GetAsync("/api/v1/projects"));
    }

    [Fact]
    public async Task Renew_OverTime_ExtendsExpiryUpToMaxTtlThenExpires()
    {
        FakeTimeProvider clock = clocked.FakeClock;
        AdminContext admin = await clocked.AdminAsync();
        ApiCaller caller = await CreateCallerAsync(clocked, admin, "renew-clock", attachBody: new { accessTokenTTL = 100, accessTokenMaxTTL = 250 });
        HttpClient client = clocked.CreateClient();

        clock.Advance(TimeSpan.FromSeconds(80));
        JsonObject first = await ApiAssert.OkAsync(await client.PostAsJsonAsync(Renew, new { accessToken = caller.Token }));
        clock.Advance(TimeSpan.FromSeconds(70));   // t = 150: past the original expiry (100), before the renewed one (180)
        HttpResponseMessage afterOriginalExpiry = await caller.Client.GetAsync("/api/v1/projects");
        clock.Advance(TimeSpan.FromSeconds(20));   // t = 170: now + TTL (270) is capped at issue + max TTL (250)
        JsonObject second = await ApiAssert.OkAsync(await client.PostAsJsonAsync(Renew, new { accessToken = caller.Token }));
        clock.Advance(TimeSpan.FromSeconds(81));   // t = 251
        HttpResponseMessage afterMax = await caller.Client.GetAsync("/api/v1/projects");
        HttpResponseMessage renewExpired = await client.PostAsJsonAsync(Renew, new { accessToken = caller.Token });
        HttpResponseMessage revokeExpired = await client.PostAsJsonAsync(Revoke, new { accessToken = caller.Token });

        Assert.Equal(100, (long)first["expiresIn"]!);
        Assert.Equal(250, (long)first["accessTokenMaxTTL"]!);
        await ApiAssert.OkAsync(afterOriginalExpiry);
        Assert.Equal(80, (long)second["expiresIn"]!);
        Assert.Equal(caller.Token, (string?)second["accessToken"]);
        await ApiAssert.ErrorAsync(afterMax, 401, "UnauthorizedError", "Your token has expired. Please re-authenticate.");
        await ApiAssert.ErrorAsync(renewExpired, 401, "UnauthorizedError", "Your token has expired. Please re-authenticate.");
        await ApiAssert.ErrorAsync(revokeExpired, 401, "UnauthorizedError", "Your token has expired. Please re-authenticate.");
    }

    [Fact]
    public async Task Renew_BootstrapToken_ReturnsSameTokenWithZeroLifetimes()
    {
        AdminContext admin = await factory.AdminAsync();
        string token = admin.Client.DefaultRequestHeaders.Authorization!.Parameter!;

        JsonObject body = await ApiAssert.OkAsync(await factory.CreateClient().PostAsJsonAsync(Renew, new { accessToken = token }));

        Assert.Equal(token, (string?)body["accessToken"]);
        Assert.Equal(0, (long)body["expiresIn"]!);
        Assert.Equal(0, (long)body["accessTokenMaxTTL"]!);
        Assert.Equal("Bearer", (string?)body["tokenType"]);
        await ApiAssert.OkAsync(await admin.Client.GetAsync("/api/v1/projects"));
    }

    [Fact]
    public async Task Renew_FromOutsideAccessTokenTrustedIps_Returns403()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller caller = await CreateCallerAsync(factory, admin, "renew-ip",
            attachBody: new { accessTokenTrustedIps = new[] { new { ipAddress = "10.0.0.0/8" } } });

        HttpResponseMessage outside = await factory.CreateClient().PostAsJsonAsync(Renew, new { accessToken = caller.Token });
        HttpResponseMessage inside = await factory.FromPeer("10.0.0.1").PostAsJsonAsync(Renew, new { accessToken = caller.Token });

        await ApiAssert.ErrorAsync(outside, 403, "ForbiddenError", "IP address not allowed");
        await ApiAssert.OkAsync(inside);
    }

    [Theory]
    [InlineData(Renew)]
    [InlineData(Revoke)]
    public async Task RenewOrRevoke_MissingOrUnknownToken_Fails(string route)
    {
        HttpClient client = factory.CreateClient();

        HttpResponseMessage missing = await client.PostAsJsonAsync(route, new { token = "x" });
        HttpResponseMessage unknown = await client.PostAsJsonAsync(route, new { accessToken = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" });

        await ApiAssert.ErrorAsync(missing, 422, "ValidationFailure", "accessToken: Required");
        await ApiAssert.ErrorAsync(unknown, 401, "UnauthorizedError", "Invalid token");
    }

    [Fact]
    public async Task Revoke_Token_ThenUseRenewOrRevokeAgain_ReturnsInvalidToken()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller caller = await CreateCallerAsync(factory, admin, "revoke-twice");
        HttpClient client = factory.CreateClient();

        JsonObject revoked = await ApiAssert.OkAsync(await client.PostAsJsonAsync(Revoke, new { accessToken = caller.Token }));

        AssertMembers(revoked, "message");
        Assert.Equal("Successfully revoked access token", (string?)revoked["message"]);
        await ApiAssert.ErrorAsync(await caller.Client.GetAsync("/api/v1/projects"), 401, "UnauthorizedError", "Invalid token");
        await ApiAssert.ErrorAsync(await client.PostAsJsonAsync(Renew, new { accessToken = caller.Token }), 401, "UnauthorizedError", "Invalid token");
        await ApiAssert.ErrorAsync(await client.PostAsJsonAsync(Revoke, new { accessToken = caller.Token }), 401, "UnauthorizedError", "Invalid token");
    }

    [Fact]
    public async Task RevokeClientSecret_TokensIssuedWithIt_StayValid()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "secret-revoked-token-kept");
        string clientId = (string)(await AttachUniversalAuthAsync(admin.Client, identityId))["clientId"]!;
        JsonObject created = await CreateClientSecretAsync(admin.Client, identityId);
        JsonObject login = await ApiAssert.OkAsync(await LoginAsync(factory.CreateClient(), clientId, (string)created["clientSecret"]!));

        await ApiAssert.OkAsync(await admin.Client.PostAsync(
            $"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets/{created["clientSecretData"]!["id"]}/revoke", null));

        await ApiAssert.OkAsync(await factory.Authorized((string)login["accessToken"]!).GetAsync("/api/v1/projects"));
    }

    [Fact]
    public async Task Login_TwentyFailuresFromOneAddress_Returns429WithRetryAfterUntilWindowPasses()
    {
        // Arrange: the controlled clock makes Retry-After exact.
        FakeTimeProvider clock = clocked.FakeClock;
        AdminContext admin = await clocked.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "rate-limited");
        string clientId = (string)(await AttachUniversalAuthAsync(admin.Client, identityId))["clientId"]!;
        string secret = (string)(await CreateClientSecretAsync(admin.Client, identityId))["clientSecret"]!;
        HttpClient attacker = clocked.FromPeer("198.51.100.7");
        string wrong = new('0', 64);

        // Act / Assert: 19 failures do not limit; the 20th does, for valid credentials too.
        for (int i = 0; i < 19; i++)
        {
            await ApiAssert.ErrorAsync(await LoginAsync(attacker, clientId, wrong), 401, "UnauthorizedError", "Invalid credentials");
        }

        await ApiAssert.OkAsync(await LoginAsync(attacker, clientId, secret));
        await ApiAssert.ErrorAsync(await LoginAsync(attacker, clientId, wrong), 401, "UnauthorizedError", "Invalid credentials");

        HttpResponseMessage limited = await LoginAsync(attacker, clientId, secret);
        await ApiAssert.ErrorAsync(limited, 429, "RateLimitExceeded", "Rate limit exceeded. Please try again in 60 seconds");
        Assert.Equal("60", limited.Headers.GetValues("Retry-After").Single());

        await ApiAssert.OkAsync(await LoginAsync(clocked.FromPeer("198.51.100.8"), clientId, secret));

        clock.Advance(TimeSpan.FromSeconds(30.5));
        HttpResponseMessage later = await LoginAsync(attacker, clientId, wrong);
        await ApiAssert.ErrorAsync(later, 429, "RateLimitExceeded", "Rate limit exceeded. Please try again in 30 seconds");
        Assert.Equal("30", later.Headers.GetValues("Retry-After").Single());

        clock.Advance(TimeSpan.FromSeconds(29.5));
        await ApiAssert.OkAsync(await LoginAsync(attacker, clientId, secret));
    }

    [Fact]
    public async Task Login_BurstOfSixtyConcurrentFailures_LetsExactlyTwentyThrough()
    {
        // Issue #12's probe: 60 concurrent failed logins let 21 failures through before the 429.
        // The controlled clock keeps Retry-After exact however long a loaded machine takes over the burst.
        AdminContext admin = await clocked.AdminAsync();
        (string clientId, _) = await UniversalAuthAsync(admin, "burst-limited");
        HttpClient attacker = clocked.FromPeer("198.51.100.60");
        string wrong = new('1', 64);

        HttpResponseMessage[] answers = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => LoginAsync(attacker, clientId, wrong)));

        Assert.Equal(20, answers.Count(a => (int)a.StatusCode == 401));
        Assert.Equal(40, answers.Count(a => (int)a.StatusCode == 429));
        JsonObject limited = await ApiAssert.ErrorAsync(answers.First(a => (int)a.StatusCode == 429), 429, "RateLimitExceeded");
        Assert.Equal("Rate limit exceeded. Please try again in 60 seconds", (string)limited["message"]!);
    }

    private async Task<(string ClientId, string Secret)> UniversalAuthAsync(AdminContext admin, string name, object? attachBody = null)
    {
        string identityId = await CreateIdentityAsync(admin, name);
        string clientId = (string)(await AttachUniversalAuthAsync(admin.Client, identityId, attachBody))["clientId"]!;
        string secret = (string)(await CreateClientSecretAsync(admin.Client, identityId))["clientSecret"]!;
        return (clientId, secret);
    }
}
