using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.Usage.UsageServerFixture;

namespace InfisicalKms.Tests.Web.Api.Usage;

/// <summary>
/// <c>GET /api/v1/kms/keys/{keyId}/usage</c> (issue 17): every bucket of the window with each operation's
/// successes and failures, failure reasons, top actors and last use; the permissions of the audit log; the
/// query's 422 messages; and that reading usage writes nothing.
/// </summary>
[Collection(UsageServerCollection.Name)]
public sealed class KeyUsageEndpointsTests(UsageServerFixture f)
{
    private const string Denied = "You are not allowed to read on audit-logs";

    private HttpClient Admin => f.Admin.Client;

    public static TheoryData<string, string> InvalidQueries => new()
    {
        { "from=yesterday", "from: Invalid datetime" },
        { "from=2031-03-04", "from: Invalid datetime" },
        { "to=2031-03-04T05:00:00", "to: Invalid datetime" },
        { "bucket=week", "bucket: Invalid enum value. Expected 'hour' | 'day', received 'week'" },
        { "bucket=HOUR", "bucket: Invalid enum value. Expected 'hour' | 'day', received 'HOUR'" },
        { "from=2031-03-04T06:00:00Z&to=2031-03-04T06:00:00Z", "to: to must be after from" },
        { "from=2031-03-04T06:00:00Z&to=2031-03-04T05:00:00Z", "to: to must be after from" },
        { "from=2031-03-05T00:00:00Z&to=2031-03-04T23:59:59%2B02:00", "to: to must be after from" },
        { "from=2030-01-01T00:00:00Z&to=2030-06-01T00:00:00Z", "from: The window holds 3624 hourly buckets; at most 2000 are returned: narrow the window or use bucket=day" },
        { "from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z&bucket=day", "from: The window holds 3653 daily buckets; at most 2000 are returned: narrow the window" },
    };

    [Fact]
    public async Task Usage_HourlyDefault_Is24AlignedHoursEndingWithTheCurrentOne_EachOperationInItsHour()
    {
        string p = await f.NewProjectAsync();
        (string keyId, string name) = await f.NewKeyAsync(p);
        DateTime first = f.NextHour(minutes: 10);
        await EncryptOkAsync(Admin, keyId, 2);
        f.Advance(TimeSpan.FromHours(1));
        string ciphertext = await Admin.EncryptAsync(keyId, "aGk=");
        await ApiAssert.OkAsync(await DecryptAsync(Admin, keyId, ciphertext));
        f.Advance(TimeSpan.FromHours(2));
        await EncryptOkAsync(Admin, keyId, 3);
        DateTime lastUse = f.Now;
        f.Advance(TimeSpan.FromMinutes(7));

        JsonObject usage = await KeyUsageAsync(Admin, keyId);

        AuthTestHelpers.AssertMembers(usage, "keyId", "keyName", "projectId", "from", "to", "bucket", "total", "operations",
            "failures", "buckets", "topActors", "lastUsedAt");
        Assert.Equal((keyId, name, p, "hour"), ((string)usage["keyId"]!, (string)usage["keyName"]!, (string)usage["projectId"]!, (string)usage["bucket"]!));
        DateTime end = HourOf(f.Now).AddHours(1);
        Assert.Equal(Wire(end.AddHours(-24)), (string?)usage["from"]);
        Assert.Equal(Wire(end), (string?)usage["to"]);
        JsonArray buckets = usage["buckets"]!.AsArray();
        Assert.Equal(Enumerable.Range(0, 24).Select(i => Wire(end.AddHours(i - 24))), buckets.Select(b => (string)b!["start"]!));
        var expected = new Dictionary<string, string>
        {
            [Wire(HourOf(first))] = $$"""{"encrypt":{{Counts(2, 0)}}}""",
            [Wire(HourOf(first).AddHours(1))] = $$"""{"encrypt":{{Counts(1, 0)}},"decrypt":{{Counts(1, 0)}}}""",
            [Wire(HourOf(first).AddHours(3))] = $$"""{"encrypt":{{Counts(3, 0)}}}""",
        };
        Assert.All(buckets, b => Assert.Equal(expected.GetValueOrDefault((string)b!["start"]!, "{}"), b!["operations"]!.ToJsonString()));
        Assert.Equal(buckets.Select(b => b!["operations"]!.AsObject().Sum(o => (long)o.Value!["success"]!)), buckets.Select(b => (long)b!["total"]!["success"]!));
        Assert.Equal(Counts(7, 0), usage["total"]!.ToJsonString());
        Assert.Equal($$"""{"encrypt":{{Counts(6, 0)}},"decrypt":{{Counts(1, 0)}}}""", usage["operations"]!.ToJsonString());
        Assert.Equal("{}", usage["failures"]!.ToJsonString());
        Assert.Equal(Wire(lastUse), (string?)usage["lastUsedAt"]);
    }

    [Fact]
    public async Task Usage_NowExactlyOnAnHour_TheDefaultWindowStillHoldsTheCurrentHour()
    {
        string p = await f.NewProjectAsync();
        (string keyId, _) = await f.NewKeyAsync(p);
        DateTime now = f.NextHour();
        await EncryptOkAsync(Admin, keyId);

        JsonObject hourly = await KeyUsageAsync(Admin, keyId);
        JsonObject daily = await KeyUsageAsync(Admin, keyId, "?bucket=day");

        Assert.Equal(Wire(now.AddHours(1)), (string?)hourly["to"]);
        Assert.Equal(Wire(now), (string?)hourly["buckets"]!.AsArray()[^1]!["start"]);
        Assert.Equal(Counts(1, 0), hourly["total"]!.ToJsonString());
        Assert.Equal(Counts(1, 0), daily["total"]!.ToJsonString());
    }

    [Fact]
    public async Task Usage_DailyDefault_Is30UtcDaysEndingWithToday_EachOperationInItsDay()
    {
        string p = await f.NewProjectAsync();
        (string keyId, _) = await f.NewKeyAsync(p);
        f.NextHour(minutes: 30);
        DateTime first = f.Now;
        await EncryptOkAsync(Admin, keyId);
        f.Advance(TimeSpan.FromDays(1));
        await EncryptOkAsync(Admin, keyId, 2);

        JsonObject usage = await KeyUsageAsync(Admin, keyId, "?bucket=day");

        DateTime end = DayOf(f.Now).AddDays(1);
        Assert.Equal("day", (string?)usage["bucket"]);
        Assert.Equal(Wire(end.AddDays(-30)), (string?)usage["from"]);
        Assert.Equal(Wire(end), (string?)usage["to"]);
        JsonArray buckets = usage["buckets"]!.AsArray();
        Assert.Equal(Enumerable.Range(0, 30).Select(i => Wire(end.AddDays(i - 30))), buckets.Select(b => (string)b!["start"]!));
        Assert.Equal(Counts(1, 0), buckets.Single(b => (string)b!["start"]! == Wire(DayOf(first)))!["total"]!.ToJsonString());
        Assert.Equal(Counts(2, 0), buckets[^1]!["total"]!.ToJsonString());
        Assert.Equal(28, buckets.Count(b => b!["total"]!.ToJsonString() == Counts(0, 0) && b["operations"]!.ToJsonString() == "{}"));
    }

    [Fact]
    public async Task Usage_ExplicitWindow_IsAlignedOutwardToWholeBuckets_AndCountsOnlyWhatIsInside()
    {
        string p = await f.NewProjectAsync();
        (string keyId, _) = await f.NewKeyAsync(p);
        DateTime before = f.NextHour(minutes: 40);
        await EncryptOkAsync(Admin, keyId);
        DateTime inside = f.NextHour(minutes: 5);
        await EncryptOkAsync(Admin, keyId, 2);
        f.NextHour(minutes: 1);
        await EncryptOkAsync(Admin, keyId, 4);
        DateTime hour = HourOf(inside);
        string from = Wire(hour.AddMinutes(20));
        string to = hour.AddMinutes(50).AddHours(2).ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + "%2B02:00";

        JsonObject one = await KeyUsageAsync(Admin, keyId, $"?from={from}&to={Wire(hour.AddMinutes(50))}");
        JsonObject sameWithOffset = await KeyUsageAsync(Admin, keyId, $"?from={from}&to={to}");
        JsonObject day = await KeyUsageAsync(Admin, keyId, $"?from={from}&to={Wire(hour.AddMinutes(21))}&bucket=day");

        Assert.Equal((Wire(hour), Wire(hour.AddHours(1))), ((string)one["from"]!, (string)one["to"]!));
        Assert.Equal(Wire(hour), (string?)Assert.Single(one["buckets"]!.AsArray())!["start"]);
        Assert.Equal(Counts(2, 0), one["total"]!.ToJsonString());
        Assert.Equal(one.ToJsonString(), sameWithOffset.ToJsonString());
        Assert.Equal((Wire(DayOf(hour)), Wire(DayOf(hour).AddDays(1))), ((string)day["from"]!, (string)day["to"]!));
        long sameDay = new[] { (before, 1), (inside, 2), (f.Now, 4) }.Where(t => DayOf(t.Item1) == DayOf(hour)).Sum(t => t.Item2);
        Assert.Equal(Counts(sameDay, 0), day["total"]!.ToJsonString());
    }

    [Fact]
    public async Task Usage_EveryOperation_CountsUnderItsName_ReadsDoNot_ABatchOnce()
    {
        string p = await f.NewProjectAsync();
        (string aes, _) = await f.NewKeyAsync(p, exportable: true);
        (string ecc, _) = await f.NewKeyAsync(p, "sign-verify", "ECC_NIST_P256");
        (string mac, _) = await f.NewKeyAsync(p, "generate-verify-mac", "HMAC_SHA_256");

        string ciphertext = await Admin.EncryptAsync(aes, "aGk=");
        await ApiAssert.OkAsync(await DecryptAsync(Admin, aes, ciphertext));
        await ApiAssert.OkAsync(await Admin.PostAsJsonAsync(KeyApi.Key(aes) + "/data-key", new { }));
        await ApiAssert.OkAsync(await Admin.PostAsJsonAsync(KeyApi.Key(aes) + "/rewrap", new { ciphertext }));
        await ApiAssert.OkAsync(await Admin.GetAsync(KeyApi.Key(aes) + "/private-key"));
        await ApiAssert.OkAsync(await Admin.PostAsJsonAsync(KeyApi.Key(aes) + "/encrypt/batch",
            new { items = new[] { new { plaintext = "aGk=" }, new { plaintext = "aGk=" }, new { plaintext = "aGk=" } } }));
        string signature = await Admin.SignAsync(ecc, "ECDSA_SHA_256", "aGk=");
        await ApiAssert.OkAsync(await Admin.PostAsJsonAsync(KeyApi.Key(ecc) + "/verify", new { signingAlgorithm = "ECDSA_SHA_256", data = "aGk=", signature }));
        JsonObject generated = await ApiAssert.OkAsync(await Admin.PostAsJsonAsync(KeyApi.Key(mac) + "/generate-mac", new { data = "aGk=" }));
        await ApiAssert.OkAsync(await Admin.PostAsJsonAsync(KeyApi.Key(mac) + "/verify-mac", new { data = "aGk=", mac = (string)generated["mac"]! }));
        foreach (string read in new[] { KeyApi.Key(aes), KeyApi.Key(aes) + "/versions", KeyApi.Key(ecc) + "/public-key",
                     KeyApi.Key(ecc) + "/signing-algorithms", $"{KeyApi.Keys}?projectId={p}" })
        {
            await ApiAssert.OkAsync(await Admin.GetAsync(read));
        }

        Assert.Equal($$"""{"encrypt":{{Counts(2, 0)}},"decrypt":{{Counts(1, 0)}},"data-key":{{Counts(1, 0)}},"rewrap":{{Counts(1, 0)}},"export":{{Counts(1, 0)}}}""",
            (await KeyUsageAsync(Admin, aes))["operations"]!.ToJsonString());
        Assert.Equal($$"""{"sign":{{Counts(1, 0)}},"verify":{{Counts(1, 0)}}}""", (await KeyUsageAsync(Admin, ecc))["operations"]!.ToJsonString());
        Assert.Equal($$"""{"generate-mac":{{Counts(1, 0)}},"verify-mac":{{Counts(1, 0)}}}""", (await KeyUsageAsync(Admin, mac))["operations"]!.ToJsonString());
    }

    [Fact]
    public async Task Usage_FailedOperations_CountAsFailuresByErrorClass_AndNotAsLastUse()
    {
        string p = await f.NewProjectAsync();
        (string keyId, _) = await f.NewKeyAsync(p);
        ApiCaller viewer = await f.CallerAsync(p, "viewer", "usage-viewer");
        f.NextHour(minutes: 5);
        string ciphertext = await Admin.EncryptAsync(keyId, "aGk=");
        DateTime success = f.Now;
        f.Advance(TimeSpan.FromMinutes(3));
        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, keyId, Tampered(ciphertext)), 400, "BadRequest", KeyApi.DecryptionFailed);
        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, keyId, Tampered(ciphertext)), 400, "BadRequest", KeyApi.DecryptionFailed);
        await ApiAssert.ErrorAsync(await EncryptAsync(viewer.Client, keyId), 403, "PermissionDenied", "You are not allowed to encrypt on cmek");
        DateTime refused = f.Now;

        JsonObject usage = await KeyUsageAsync(Admin, keyId);

        Assert.Equal($$"""{"encrypt":{{Counts(1, 1)}},"decrypt":{{Counts(0, 2)}}}""", usage["operations"]!.ToJsonString());
        Assert.Equal(Counts(1, 3), usage["total"]!.ToJsonString());
        Assert.Equal("""{"BadRequest":2,"PermissionDenied":1}""", usage["failures"]!.ToJsonString());
        JsonNode hour = usage["buckets"]!.AsArray().Single(b => (string)b!["start"]! == Wire(HourOf(refused)))!;
        Assert.Equal(Counts(1, 3), hour["total"]!.ToJsonString());
        Assert.Equal(usage["operations"]!.ToJsonString(), hour["operations"]!.ToJsonString());
        Assert.Equal(Wire(success), (string?)usage["lastUsedAt"]);
        JsonNode viewerLine = usage["topActors"]!.AsArray().Single(a => (string)a!["id"]! == viewer.IdentityId)!;
        Assert.Equal((1L, 1L, Wire(refused)), ((long)viewerLine["count"]!, (long)viewerLine["failureCount"]!, (string)viewerLine["lastAt"]!));
    }

    [Fact]
    public async Task Usage_TopActors_BusiestFirstWithNamesCountsAndFailures()
    {
        string p = await f.NewProjectAsync();
        (string keyId, _) = await f.NewKeyAsync(p);
        ApiCaller busy = await f.CallerAsync(p, "member", "usage-busy");
        ApiCaller quiet = await f.CallerAsync(p, "cryptographic-operator", "usage-quiet");
        f.NextHour(minutes: 15);
        await EncryptOkAsync(busy.Client, keyId, 2);
        f.NextHour(minutes: 15);
        string ciphertext = await busy.Client.EncryptAsync(keyId, "aGk=");
        await ApiAssert.ErrorAsync(await DecryptAsync(busy.Client, keyId, Tampered(ciphertext)), 400, "BadRequest");
        DateTime busyLast = f.Now;
        f.Advance(TimeSpan.FromMinutes(2));
        await EncryptOkAsync(quiet.Client, keyId);
        DateTime quietLast = f.Now;

        JsonObject usage = await KeyUsageAsync(Admin, keyId);

        string expected = $$"""
            [{"type":"identity","id":"{{busy.IdentityId}}","name":"usage-busy","count":4,"failureCount":1,"lastAt":"{{Wire(busyLast)}}"},{"type":"identity","id":"{{quiet.IdentityId}}","name":"usage-quiet","count":1,"failureCount":0,"lastAt":"{{Wire(quietLast)}}"}]
            """;
        Assert.Equal(expected, usage["topActors"]!.ToJsonString());
        Assert.Equal(Wire(quietLast), (string?)usage["lastUsedAt"]);
    }

    [Fact]
    public async Task Usage_KeyNeverUsed_HasEmptyBucketsNoActorsAndNoLastUse()
    {
        string p = await f.NewProjectAsync();
        (string keyId, _) = await f.NewKeyAsync(p);
        await ApiAssert.OkAsync(await Admin.GetAsync(KeyApi.Key(keyId)));

        JsonObject usage = await KeyUsageAsync(Admin, keyId);

        Assert.Equal(24, usage["buckets"]!.AsArray().Count);
        Assert.All(usage["buckets"]!.AsArray(), b => Assert.Equal(Counts(0, 0), b!["total"]!.ToJsonString()));
        Assert.Equal((Counts(0, 0), "{}", "{}", "[]"), (usage["total"]!.ToJsonString(), usage["operations"]!.ToJsonString(),
            usage["failures"]!.ToJsonString(), usage["topActors"]!.ToJsonString()));
        Assert.Null(usage["lastUsedAt"]);
        Assert.True(usage.ContainsKey("lastUsedAt"));
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("member")]
    [InlineData("viewer")]
    public async Task Usage_RoleThatReadsTheAuditLog_Gets200(string role)
    {
        string p = await f.NewProjectAsync();
        (string keyId, _) = await f.NewKeyAsync(p);
        await EncryptOkAsync(Admin, keyId);
        ApiCaller reader = await f.CallerAsync(p, role, "usage-reader");

        JsonObject usage = await KeyUsageAsync(reader.Client, keyId);

        Assert.Equal(Counts(1, 0), usage["total"]!.ToJsonString());
    }

    [Theory]
    [InlineData("cryptographic-operator")]
    [InlineData("no-access")]
    public async Task Usage_RoleWithoutAuditLogRead_Gets403(string role)
    {
        string p = await f.NewProjectAsync();
        (string keyId, _) = await f.NewKeyAsync(p);
        ApiCaller caller = await f.CallerAsync(p, role, "usage-denied");

        await ApiAssert.ErrorAsync(await caller.Client.GetAsync(KeyApi.Key(keyId) + "/usage"), 403, "PermissionDenied", Denied);
    }

    [Fact]
    public async Task Usage_NonMemberUnknownOrDeletedKey_Gets404_InvalidIdGets422_NoTokenGets401()
    {
        string p = await f.NewProjectAsync();
        (string keyId, _) = await f.NewKeyAsync(p);
        (string deleted, _) = await f.NewKeyAsync(p);
        await EncryptOkAsync(Admin, deleted);
        await ApiAssert.OkAsync(await Admin.DeleteAsync(KeyApi.Key(deleted)));
        ApiCaller outsider = await f.CallerAsync(await f.NewProjectAsync(), "admin", "usage-outsider");
        string unknown = Guid.NewGuid().ToString();

        await ApiAssert.ErrorAsync(await outsider.Client.GetAsync(KeyApi.Key(keyId) + "/usage"), 404, "NotFound", $"Key with ID \"{keyId}\" not found");
        await ApiAssert.ErrorAsync(await Admin.GetAsync(KeyApi.Key(unknown) + "/usage"), 404, "NotFound", $"Key with ID \"{unknown}\" not found");
        await ApiAssert.ErrorAsync(await Admin.GetAsync(KeyApi.Key(deleted) + "/usage"), 404, "NotFound", $"Key with ID \"{deleted}\" not found");
        await ApiAssert.ErrorAsync(await Admin.GetAsync(KeyApi.Key("not-a-uuid") + "/usage"), 422, "ValidationFailure", "keyId: Invalid uuid");
        await ApiAssert.ErrorAsync(await f.CreateClient().GetAsync(KeyApi.Key(keyId) + "/usage"), 401, "UnauthorizedError", "Token missing");
    }

    [Theory]
    [MemberData(nameof(InvalidQueries))]
    public async Task Usage_InvalidQuery_Returns422WithTheFieldMessage(string query, string message)
    {
        string p = await f.NewProjectAsync();
        (string keyId, _) = await f.NewKeyAsync(p);

        JsonObject body = await ApiAssert.ErrorAsync(await Admin.GetAsync($"{KeyApi.Key(keyId)}/usage?{query}"), 422, "ValidationFailure", message);

        Assert.Equal(message[..message.IndexOf(':', StringComparison.Ordinal)], (string?)body["details"]!.AsArray()[0]!["field"]);
    }

    [Fact]
    public async Task Usage_ReadsAndRefusals_WriteNoAuditRecordAndChangeNoCount()
    {
        string p = await f.NewProjectAsync();
        (string keyId, _) = await f.NewKeyAsync(p);
        await EncryptOkAsync(Admin, keyId);
        ApiCaller op = await f.CallerAsync(p, "cryptographic-operator", "usage-op");
        ApiCaller outsider = await f.CallerAsync(null, null, "usage-nobody");
        JsonObject before = await KeyUsageAsync(Admin, keyId);
        int records = await f.AuditRecordCountAsync();

        await KeyUsageAsync(Admin, keyId, "?bucket=day");
        await ApiAssert.ErrorAsync(await Admin.GetAsync(KeyApi.Key(keyId) + "/usage?bucket=week"), 422, "ValidationFailure");
        await ApiAssert.ErrorAsync(await op.Client.GetAsync(KeyApi.Key(keyId) + "/usage"), 403, "PermissionDenied");
        await ApiAssert.ErrorAsync(await outsider.Client.GetAsync(KeyApi.Key(keyId) + "/usage"), 404, "NotFound");
        JsonObject after = await KeyUsageAsync(Admin, keyId);

        Assert.Equal(records, await f.AuditRecordCountAsync());
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }
}
