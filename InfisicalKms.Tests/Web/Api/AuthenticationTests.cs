using System.Net.Http.Json;
using System.Text;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;
using static InfisicalKms.Tests.Web.Api.AuthTestHelpers;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>Authentication errors of protected routes (spec §2.4, §1.7, §8.1) and their place in §1.8.</summary>
[Collection(TokenServersCollection.Name)]
public sealed class AuthenticationTests(PeerAddressKmsFactory factory, ClockedKmsFactory clocked)
{
    [Fact]
    public async Task ProtectedRoute_NoAuthorizationHeader_ReturnsTokenMissing()
    {
        HttpResponseMessage response = await factory.CreateClient().GetAsync("/api/v1/projects");

        await ApiAssert.ErrorAsync(response, 401, "UnauthorizedError", "Token missing");
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNzd29yZA==")]
    [InlineData("Bearer")]
    [InlineData("Token abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")]
    public async Task ProtectedRoute_HeaderNotOfBearerForm_ReturnsTokenMissing(string header)
    {
        HttpClient client = factory.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);

        HttpResponseMessage response = await client.GetAsync("/api/v1/projects");

        await ApiAssert.ErrorAsync(response, 401, "UnauthorizedError", "Token missing");
    }

    [Theory]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")]
    [InlineData("not*a*token")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")]
    public async Task ProtectedRoute_UnknownOrMalformedToken_ReturnsInvalidToken(string token)
    {
        HttpClient client = factory.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);

        HttpResponseMessage response = await client.GetAsync("/api/v1/projects");

        await ApiAssert.ErrorAsync(response, 401, "UnauthorizedError", "Invalid token");
    }

    [Theory]
    [InlineData("bearer")]
    [InlineData("BEARER")]
    [InlineData("Bearer")]
    public async Task ProtectedRoute_SchemeInAnyCase_IsAccepted(string scheme)
    {
        AdminContext admin = await factory.AdminAsync();
        HttpClient client = factory.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"{scheme} {admin.Client.DefaultRequestHeaders.Authorization!.Parameter}");

        await ApiAssert.OkAsync(await client.GetAsync("/api/v1/projects"));
    }

    [Fact]
    public async Task ProtectedRoute_MissingToken_IsReportedBeforeBodyAndValidationErrors()
    {
        HttpClient anonymous = factory.CreateClient();

        HttpResponseMessage notJson = await anonymous.PostAsync("/api/v1/projects", new StringContent("x", Encoding.UTF8, "text/plain"));
        HttpResponseMessage badJson = await anonymous.PostAsync("/api/v1/projects", Json("{"));
        HttpResponseMessage badId = await anonymous.DeleteAsync("/api/v1/identities/not-a-uuid");

        await ApiAssert.ErrorAsync(badJson, 401, "UnauthorizedError", "Token missing");
        await ApiAssert.ErrorAsync(badId, 401, "UnauthorizedError", "Token missing");
        await ApiAssert.ErrorAsync(notJson, 401, "UnauthorizedError", "Token missing");
    }

    [Fact]
    public async Task ProtectedRoute_CallerOutsideAccessTokenTrustedIps_Returns403()
    {
        // The test server's peer is 127.0.0.1 (PeerAddressKmsFactory); 10.0.0.0/8 excludes it.
        AdminContext admin = await factory.AdminAsync();
        ApiCaller caller = await CreateCallerAsync(factory, admin, "trusted-ips",
            attachBody: new { accessTokenTrustedIps = new[] { new { ipAddress = "10.0.0.0/8" } } });

        HttpResponseMessage loopback = await caller.Client.GetAsync("/api/v1/projects");
        HttpResponseMessage outside = await factory.Authorized(caller.Token, "192.168.1.20").GetAsync("/api/v1/projects");
        HttpResponseMessage inside = await factory.Authorized(caller.Token, "10.20.30.40").GetAsync("/api/v1/projects");
        HttpResponseMessage mapped = await factory.Authorized(caller.Token, "::ffff:10.20.30.40").GetAsync("/api/v1/projects");

        await ApiAssert.ErrorAsync(loopback, 403, "ForbiddenError", "IP address not allowed");
        await ApiAssert.ErrorAsync(outside, 403, "ForbiddenError", "IP address not allowed");
        await ApiAssert.OkAsync(inside);
        await ApiAssert.OkAsync(mapped);
    }

    [Fact]
    public async Task ProtectedRoute_UntrustedIp_IsReportedBeforeBodyErrors()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller caller = await CreateCallerAsync(factory, admin, "trusted-ips-order",
            attachBody: new { accessTokenTrustedIps = new[] { new { ipAddress = "10.0.0.0/8" } } });

        HttpResponseMessage response = await caller.Client.PostAsync("/api/v1/projects", Json("{"));

        await ApiAssert.ErrorAsync(response, 403, "ForbiddenError", "IP address not allowed");
    }

    [Fact]
    public async Task ProtectedRoute_TrustedIpsIPv6Range_AdmitsOnlyThatRange()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller caller = await CreateCallerAsync(factory, admin, "trusted-ipv6",
            attachBody: new { accessTokenTrustedIps = new[] { new { ipAddress = "2001:db8::/32" } } });

        await ApiAssert.OkAsync(await factory.Authorized(caller.Token, "2001:db8:1::5").GetAsync("/api/v1/projects"));
        await ApiAssert.ErrorAsync(await factory.Authorized(caller.Token, "2001:db9::5").GetAsync("/api/v1/projects"),
            403, "ForbiddenError", "IP address not allowed");
        await ApiAssert.ErrorAsync(await factory.Authorized(caller.Token, "10.1.1.1").GetAsync("/api/v1/projects"),
            403, "ForbiddenError", "IP address not allowed");
    }

    [Fact]
    public async Task ProtectedRoute_ExpiredToken_ReturnsTokenExpired()
    {
        FakeTimeProvider clock = clocked.FakeClock;
        AdminContext admin = await clocked.AdminAsync();
        ApiCaller caller = await CreateCallerAsync(clocked, admin, "short-lived", attachBody: new { accessTokenTTL = 60, accessTokenMaxTTL = 120 });

        clock.Advance(TimeSpan.FromSeconds(59));
        HttpResponseMessage beforeExpiry = await caller.Client.GetAsync("/api/v1/projects");
        clock.Advance(TimeSpan.FromSeconds(2));
        HttpResponseMessage afterExpiry = await caller.Client.GetAsync("/api/v1/projects");

        await ApiAssert.OkAsync(beforeExpiry);
        await ApiAssert.ErrorAsync(afterExpiry, 401, "UnauthorizedError", "Your token has expired. Please re-authenticate.");
    }

    [Fact]
    public async Task BootstrapToken_AfterTenYearsFromAnyAddress_StillAuthenticates()
    {
        FakeTimeProvider clock = clocked.FakeClock;
        AdminContext admin = await clocked.AdminAsync();
        string token = admin.Client.DefaultRequestHeaders.Authorization!.Parameter!;

        clock.Advance(TimeSpan.FromDays(3653));

        await ApiAssert.OkAsync(await admin.Client.GetAsync("/api/v1/projects"));
        await ApiAssert.OkAsync(await clocked.Authorized(token, "203.0.113.9").GetAsync("/api/v1/projects"));
        await ApiAssert.OkAsync(await clocked.Authorized(token, "2001:db8::9").GetAsync("/api/v1/projects"));
    }

    [Fact]
    public async Task ProtectedRoute_TokenOfDeletedIdentity_ReturnsInvalidToken()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller caller = await CreateCallerAsync(factory, admin, "deleted-later");
        await ApiAssert.OkAsync(await caller.Client.GetAsync("/api/v1/projects"));

        await ApiAssert.OkAsync(await admin.Client.DeleteAsync($"/api/v1/identities/{caller.IdentityId}"));

        await ApiAssert.ErrorAsync(await caller.Client.GetAsync("/api/v1/projects"), 401, "UnauthorizedError", "Invalid token");
    }

    [Fact]
    public async Task ProtectedRoute_RevokedToken_ReturnsInvalidToken()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller caller = await CreateCallerAsync(factory, admin, "revoked-token");

        await ApiAssert.OkAsync(await factory.CreateClient().PostAsJsonAsync("/api/v1/auth/token/revoke", new { accessToken = caller.Token }));

        await ApiAssert.ErrorAsync(await caller.Client.GetAsync("/api/v1/projects"), 401, "UnauthorizedError", "Invalid token");
    }
}
