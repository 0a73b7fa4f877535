using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.AuthTestHelpers;

namespace InfisicalKms.Tests.Web.Api;

/// <summary>Universal Auth configuration (spec §8.8, §8.12) and client secrets (§8.9).</summary>
[Collection(SharedServerCollection.Name)]
public sealed class UniversalAuthTests(PeerAddressKmsFactory factory)
{
    private static readonly JsonArray Everyone = new(
        new JsonObject { ["ipAddress"] = "0.0.0.0", ["type"] = "ipv4", ["prefix"] = 0 },
        new JsonObject { ["ipAddress"] = "::", ["type"] = "ipv6", ["prefix"] = 0 });

    [Fact]
    public async Task Attach_EmptyBody_AppliesDefaults()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "ua-defaults");

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.PostAsync($"/api/v1/auth/universal-auth/identities/{identityId}", null));

        AssertMembers(body, "identityUniversalAuth");
        JsonObject ua = body["identityUniversalAuth"]!.AsObject();
        AssertMembers(ua, "id", "clientId", "identityId", "accessTokenTTL", "accessTokenMaxTTL",
            "accessTokenTrustedIps", "clientSecretTrustedIps", "createdAt", "updatedAt");
        Assert.Matches(Uuid, (string)ua["id"]!);
        Assert.Matches(Uuid, (string)ua["clientId"]!);
        Assert.Equal(identityId, (string?)ua["identityId"]);
        Assert.Equal(7200, (long)ua["accessTokenTTL"]!);
        Assert.Equal(2_592_000, (long)ua["accessTokenMaxTTL"]!);
        Assert.True(JsonNode.DeepEquals(Everyone, ua["accessTokenTrustedIps"]), ua.ToJsonString());
        Assert.True(JsonNode.DeepEquals(Everyone, ua["clientSecretTrustedIps"]), ua.ToJsonString());
        Assert.Matches(Timestamp, (string)ua["createdAt"]!);
        Assert.Matches(Timestamp, (string)ua["updatedAt"]!);
    }

    [Fact]
    public async Task Attach_TrustedIps_AreNormalizedToNetworkAddresses()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "ua-ips");

        JsonObject ua = await AttachUniversalAuthAsync(admin.Client, identityId, new
        {
            accessTokenTTL = 600,
            accessTokenMaxTTL = 600,
            accessTokenTrustedIps = new[] { new { ipAddress = "10.1.2.3/8" }, new { ipAddress = "2001:db8::1" } },
            clientSecretTrustedIps = new[] { new { ipAddress = "192.168.1.7" }, new { ipAddress = "2001:db8:abcd:12::/32" } },
        });

        Assert.Equal(600, (long)ua["accessTokenTTL"]!);
        Assert.Equal(600, (long)ua["accessTokenMaxTTL"]!);
        Assert.True(JsonNode.DeepEquals(new JsonArray(
            new JsonObject { ["ipAddress"] = "10.0.0.0", ["type"] = "ipv4", ["prefix"] = 8 },
            new JsonObject { ["ipAddress"] = "2001:db8::1", ["type"] = "ipv6", ["prefix"] = 128 }), ua["accessTokenTrustedIps"]), ua.ToJsonString());
        Assert.True(JsonNode.DeepEquals(new JsonArray(
            new JsonObject { ["ipAddress"] = "192.168.1.7", ["type"] = "ipv4", ["prefix"] = 32 },
            new JsonObject { ["ipAddress"] = "2001:db8::", ["type"] = "ipv6", ["prefix"] = 32 }), ua["clientSecretTrustedIps"]), ua.ToJsonString());
    }

    [Fact]
    public async Task Attach_TtlGreaterThanMaxTtl_Returns400()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "ua-ttl");

        HttpResponseMessage response = await admin.Client.PostAsJsonAsync($"/api/v1/auth/universal-auth/identities/{identityId}",
            new { accessTokenTTL = 7201, accessTokenMaxTTL = 7200 });

        await ApiAssert.ErrorAsync(response, 400, "BadRequest", "Access token TTL cannot be greater than max TTL");
    }

    [Fact]
    public async Task Attach_AlreadyConfigured_Returns400()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "ua-twice");
        await AttachUniversalAuthAsync(admin.Client, identityId);

        HttpResponseMessage response = await admin.Client.PostAsync($"/api/v1/auth/universal-auth/identities/{identityId}", null);

        await ApiAssert.ErrorAsync(response, 400, "BadRequest", $"Universal auth is already configured for identity with ID \"{identityId}\"");
    }

    [Theory]
    [InlineData("""{"accessTokenTrustedIps":[{"ipAddress":"not-an-ip"}]}""", "accessTokenTrustedIps[0].ipAddress")]
    [InlineData("""{"accessTokenTrustedIps":[{"ipAddress":"10.0.0.0/33"}]}""", "accessTokenTrustedIps[0].ipAddress")]
    [InlineData("""{"accessTokenTrustedIps":[{"ipAddress":"300.1.1.1"}]}""", "accessTokenTrustedIps[0].ipAddress")]
    [InlineData("""{"accessTokenTrustedIps":[{"ipAddress":"2001:db8::/129"}]}""", "accessTokenTrustedIps[0].ipAddress")]
    [InlineData("""{"accessTokenTrustedIps":[{"ipAddress":"10.0.0.1"},{"ipAddress":"10.0.0.0/8/8"}]}""", "accessTokenTrustedIps[1].ipAddress")]
    [InlineData("""{"clientSecretTrustedIps":[{"ipAddress":""}]}""", "clientSecretTrustedIps[0].ipAddress")]
    [InlineData("""{"accessTokenTrustedIps":[{"ipAddress":"1.2.3"}]}""", "accessTokenTrustedIps[0].ipAddress")]    // issue #12: stored as 1.2.0.3
    [InlineData("""{"clientSecretTrustedIps":[{"ipAddress":"0x7f.1"}]}""", "clientSecretTrustedIps[0].ipAddress")] // issue #12: stored as 127.0.0.1
    [InlineData("""{"accessTokenTrustedIps":[{"ipAddress":"010.0.0.1/8"}]}""", "accessTokenTrustedIps[0].ipAddress")]
    public async Task Attach_InvalidTrustedIp_Returns422(string json, string field)
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "ua-bad-ip");

        HttpResponseMessage response = await admin.Client.PostAsync($"/api/v1/auth/universal-auth/identities/{identityId}", Json(json));

        JsonObject body = await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", $"{field}: The IP is not a valid IPv4, IPv6, or CIDR block");
        Assert.Equal(field, (string?)body["details"]![0]!["field"]);
    }

    [Theory]
    [InlineData("""{"accessTokenTTL":0}""", "accessTokenTTL: Number must be greater than or equal to 1")]
    [InlineData("""{"accessTokenMaxTTL":315360001}""", "accessTokenMaxTTL: Number must be less than or equal to 315360000")]
    [InlineData("""{"accessTokenTrustedIps":[]}""", "accessTokenTrustedIps: Array must contain at least 1 element(s)")]
    public async Task Attach_InvalidLifetimeOrList_Returns422(string json, string message)
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "ua-bad-ttl");

        HttpResponseMessage response = await admin.Client.PostAsync($"/api/v1/auth/universal-auth/identities/{identityId}", Json(json));

        await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task Get_Configured_ReturnsSameConfiguration()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "ua-get");
        JsonObject attached = await AttachUniversalAuthAsync(admin.Client, identityId, new { accessTokenTTL = 60 });

        JsonObject body = await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/auth/universal-auth/identities/{identityId}"));
        JsonObject upper = await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/auth/universal-auth/identities/{identityId.ToUpperInvariant()}"));

        Assert.True(JsonNode.DeepEquals(attached, body["identityUniversalAuth"]), body.ToJsonString());
        Assert.True(JsonNode.DeepEquals(attached, upper["identityUniversalAuth"]), upper.ToJsonString());
    }

    [Fact]
    public async Task Get_NotConfiguredUnknownOrInvalidIdentity_Fails()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "ua-none");
        string unknown = Guid.NewGuid().ToString();

        HttpResponseMessage notConfigured = await admin.Client.GetAsync($"/api/v1/auth/universal-auth/identities/{identityId}");
        HttpResponseMessage unknownIdentity = await admin.Client.GetAsync($"/api/v1/auth/universal-auth/identities/{unknown}");
        HttpResponseMessage attachUnknown = await admin.Client.PostAsync($"/api/v1/auth/universal-auth/identities/{unknown}", null);
        HttpResponseMessage invalid = await admin.Client.GetAsync("/api/v1/auth/universal-auth/identities/not-a-uuid");

        await ApiAssert.ErrorAsync(notConfigured, 404, "NotFound", $"Universal auth for identity with ID \"{identityId}\" not found");
        await ApiAssert.ErrorAsync(unknownIdentity, 404, "NotFound", $"Identity with ID \"{unknown}\" not found");
        await ApiAssert.ErrorAsync(attachUnknown, 404, "NotFound", $"Identity with ID \"{unknown}\" not found");
        await ApiAssert.ErrorAsync(invalid, 422, "ValidationFailure", "identityId: Invalid uuid");
    }

    [Fact]
    public async Task CreateSecret_Defaults_ReturnsHexSecretAndItsData()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "secret-defaults");
        await AttachUniversalAuthAsync(admin.Client, identityId);

        JsonObject body = await CreateClientSecretAsync(admin.Client, identityId);

        AssertMembers(body, "clientSecret", "clientSecretData");
        string secret = (string)body["clientSecret"]!;
        Assert.Matches("^[0-9a-f]{64}$", secret);
        JsonObject data = body["clientSecretData"]!.AsObject();
        AssertMembers(data, "id", "description", "clientSecretPrefix", "ttl", "numUses", "numUsesLimit", "isClientSecretRevoked", "createdAt");
        Assert.Matches(Uuid, (string)data["id"]!);
        Assert.Equal("", (string?)data["description"]);
        Assert.Equal(secret[..4], (string?)data["clientSecretPrefix"]);
        Assert.Equal(0, (long)data["ttl"]!);
        Assert.Equal(0, (long)data["numUses"]!);
        Assert.Equal(0, (long)data["numUsesLimit"]!);
        Assert.False((bool)data["isClientSecretRevoked"]!);
        Assert.Matches(Timestamp, (string)data["createdAt"]!);
    }

    [Fact]
    public async Task CreateSecret_WithOptions_EchoesThem()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "secret-options");
        await AttachUniversalAuthAsync(admin.Client, identityId);

        JsonObject body = await CreateClientSecretAsync(admin.Client, identityId, new { description = "ci pipeline", ttl = 3600, numUsesLimit = 5 });

        JsonObject data = body["clientSecretData"]!.AsObject();
        Assert.Equal("ci pipeline", (string?)data["description"]);
        Assert.Equal(3600, (long)data["ttl"]!);
        Assert.Equal(5, (long)data["numUsesLimit"]!);
    }

    [Theory]
    [InlineData("""{"ttl":-1}""", "ttl: Number must be greater than or equal to 0")]
    [InlineData("""{"numUsesLimit":-1}""", "numUsesLimit: Number must be greater than or equal to 0")]
    [InlineData("""{"ttl":1.5}""", "ttl: Expected integer, received float")]
    public async Task CreateSecret_InvalidField_Returns422(string json, string message)
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "secret-invalid");
        await AttachUniversalAuthAsync(admin.Client, identityId);

        HttpResponseMessage response = await admin.Client.PostAsync($"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets", Json(json));

        await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task SecretRoutes_IdentityWithoutUniversalAuth_Return404()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "secret-no-ua");
        string expected = $"Universal auth for identity with ID \"{identityId}\" not found";

        HttpResponseMessage create = await admin.Client.PostAsJsonAsync($"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets", new { });
        HttpResponseMessage list = await admin.Client.GetAsync($"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets");

        await ApiAssert.ErrorAsync(create, 404, "NotFound", expected);
        await ApiAssert.ErrorAsync(list, 404, "NotFound", expected);
    }

    [Fact]
    public async Task ListSecrets_Several_NewestFirstIncludingRevokedWithoutSecrets()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "secret-list");
        await AttachUniversalAuthAsync(admin.Client, identityId);
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add((string)(await CreateClientSecretAsync(admin.Client, identityId, new { description = $"secret {i}" }))["clientSecretData"]!["id"]!);
            await Task.Delay(15);   // distinct createdAt milliseconds, so "newest first" is well defined
        }

        await ApiAssert.OkAsync(await admin.Client.PostAsync($"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets/{ids[1]}/revoke", null));
        JsonObject body = await ApiAssert.OkAsync(await admin.Client.GetAsync($"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets"));

        AssertMembers(body, "clientSecretData");
        List<JsonObject> secrets = body["clientSecretData"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal([ids[2], ids[1], ids[0]], secrets.Select(s => (string)s["id"]!));
        Assert.Equal([false, true, false], secrets.Select(s => (bool)s["isClientSecretRevoked"]!));
        Assert.All(secrets, s => Assert.False(s.ContainsKey("clientSecret")));
    }

    [Fact]
    public async Task RevokeSecret_Twice_SucceedsBothTimes()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "secret-revoke");
        await AttachUniversalAuthAsync(admin.Client, identityId);
        JsonObject created = (await CreateClientSecretAsync(admin.Client, identityId))["clientSecretData"]!.AsObject();
        string url = $"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets/{created["id"]}/revoke";

        JsonObject first = await ApiAssert.OkAsync(await admin.Client.PostAsync(url, null));
        JsonObject second = await ApiAssert.OkAsync(await admin.Client.PostAsJsonAsync(url, new { ignored = true }));

        AssertMembers(first, "clientSecretData");
        created["isClientSecretRevoked"] = true;
        Assert.True(JsonNode.DeepEquals(created, first["clientSecretData"]), first.ToJsonString());
        Assert.True(JsonNode.DeepEquals(first, second), second.ToJsonString());
    }

    [Fact]
    public async Task RevokeSecret_UnknownOrInvalidId_Fails()
    {
        AdminContext admin = await factory.AdminAsync();
        string identityId = await CreateIdentityAsync(admin, "secret-revoke-unknown");
        await AttachUniversalAuthAsync(admin.Client, identityId);
        string unknown = Guid.NewGuid().ToString();

        HttpResponseMessage missing = await admin.Client.PostAsync($"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets/{unknown}/revoke", null);
        HttpResponseMessage invalid = await admin.Client.PostAsync($"/api/v1/auth/universal-auth/identities/{identityId}/client-secrets/not-a-uuid/revoke", null);

        await ApiAssert.ErrorAsync(missing, 404, "NotFound", $"Client secret with ID \"{unknown}\" not found");
        await ApiAssert.ErrorAsync(invalid, 422, "ValidationFailure", "clientSecretId: Invalid uuid");
    }

    [Fact]
    public async Task UniversalAuthRoutes_OrganizationMember_Return403()
    {
        AdminContext admin = await factory.AdminAsync();
        ApiCaller member = await CreateCallerAsync(factory, admin, "ua-member");
        string target = await CreateIdentityAsync(admin, "ua-target");
        await AttachUniversalAuthAsync(admin.Client, target);
        string secretId = (string)(await CreateClientSecretAsync(admin.Client, target))["clientSecretData"]!["id"]!;
        string other = await CreateIdentityAsync(admin, "ua-other");
        string ua = $"/api/v1/auth/universal-auth/identities/{target}";

        var cases = new List<(HttpResponseMessage Response, string Action)>
        {
            (await member.Client.PostAsync($"/api/v1/auth/universal-auth/identities/{other}", null), "edit"),
            (await member.Client.GetAsync(ua), "read"),
            (await member.Client.PostAsJsonAsync($"{ua}/client-secrets", new { }), "edit"),
            (await member.Client.GetAsync($"{ua}/client-secrets"), "read"),
            (await member.Client.PostAsync($"{ua}/client-secrets/{secretId}/revoke", null), "edit"),
        };

        foreach ((HttpResponseMessage response, string action) in cases)
        {
            await ApiAssert.ErrorAsync(response, 403, "PermissionDenied", $"You are not allowed to {action} on identity");
        }
    }
}
