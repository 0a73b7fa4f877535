using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Usage;
using InfisicalKms.Tests.TestSupport;
using static InfisicalKms.Tests.Web.Api.Usage.UsageServerFixture;

namespace InfisicalKms.Tests.Web.Api.Usage;

/// <summary>
/// <c>GET /api/v1/projects/{projectId}/usage</c> (issue 17): the project's series with each key's totals,
/// deleted keys under the name they had, the audit log's permissions, and that the counts equal what the
/// audit log lists for the same window.
/// </summary>
[Collection(UsageServerCollection.Name)]
public sealed class ProjectUsageEndpointsTests(UsageServerFixture f)
{
    private HttpClient Admin => f.Admin.Client;

    [Fact]
    public async Task Usage_Project_ListsKeysBusiestFirstWithTheirTotals_AndTheProjectTotalIsTheirSum()
    {
        string p = await f.NewProjectAsync();
        (string busy, string busyName) = await f.NewKeyAsync(p);
        (string quiet, string quietName) = await f.NewKeyAsync(p);
        await f.NewKeyAsync(p);   // never used: not listed
        ApiCaller member = await f.CallerAsync(p, "member", "usage-project-member");
        f.NextHour(minutes: 20);
        await EncryptOkAsync(Admin, busy, 3);
        string ciphertext = await Admin.EncryptAsync(busy, "aGk=");
        await ApiAssert.ErrorAsync(await DecryptAsync(member.Client, busy, Tampered(ciphertext)), 400, "BadRequest");
        f.Advance(TimeSpan.FromHours(1));
        await EncryptOkAsync(member.Client, quiet);
        DateTime quietUsed = f.Now;
        f.Advance(TimeSpan.FromMinutes(1));
        await ApiAssert.OkAsync(await DecryptAsync(Admin, busy, ciphertext));
        DateTime busyUsed = f.Now;

        JsonObject usage = await ProjectUsageAsync(Admin, p);

        AuthTestHelpers.AssertMembers(usage, "projectId", "from", "to", "bucket", "total", "operations", "failures", "buckets",
            "topActors", "keys", "keysUsed");
        Assert.Equal(p, (string?)usage["projectId"]);
        Assert.Equal((Wire(HourOf(f.Now).AddHours(-23)), Wire(HourOf(f.Now).AddHours(1)), "hour"),
            ((string)usage["from"]!, (string)usage["to"]!, (string)usage["bucket"]!));
        string expectedKeys = $$"""
            [{"keyId":"{{busy}}","name":"{{busyName}}","deleted":false,"total":{{Counts(5, 1)}},"operations":{"encrypt":{{Counts(4, 0)}},"decrypt":{{Counts(1, 1)}}},"lastUsedAt":"{{Wire(busyUsed)}}"},{"keyId":"{{quiet}}","name":"{{quietName}}","deleted":false,"total":{{Counts(1, 0)}},"operations":{"encrypt":{{Counts(1, 0)}}},"lastUsedAt":"{{Wire(quietUsed)}}"}]
            """;
        Assert.Equal(expectedKeys, usage["keys"]!.ToJsonString());
        Assert.Equal(2, (int)usage["keysUsed"]!);
        Assert.Equal(Counts(6, 1), usage["total"]!.ToJsonString());
        Assert.Equal($$"""{"encrypt":{{Counts(5, 0)}},"decrypt":{{Counts(1, 1)}}}""", usage["operations"]!.ToJsonString());
        Assert.Equal("""{"BadRequest":1}""", usage["failures"]!.ToJsonString());
        Assert.Equal(24, usage["buckets"]!.AsArray().Count);
        Assert.Equal([$"identity {f.Admin.IdentityId} 5 0", $"identity {member.IdentityId} 2 1"],
            usage["topActors"]!.AsArray().Select(a => $"{a!["type"]} {a["id"]} {a["count"]} {a["failureCount"]}"));
    }

    [Fact]
    public async Task Usage_DeletedKey_ProjectListsItUnderItsOldName_KeyRouteSays404()
    {
        string p = await f.NewProjectAsync();
        (string keyId, string name) = await f.NewKeyAsync(p);
        await EncryptOkAsync(Admin, keyId, 2);
        DateTime used = f.Now;
        f.Advance(TimeSpan.FromMinutes(1));
        await ApiAssert.OkAsync(await Admin.DeleteAsync(KeyApi.Key(keyId)));

        JsonObject usage = await ProjectUsageAsync(Admin, p);

        JsonNode line = Assert.Single(usage["keys"]!.AsArray())!;
        Assert.Equal($$"""{"keyId":"{{keyId}}","name":"{{name}}","deleted":true,"total":{{Counts(2, 0)}},"operations":{"encrypt":{{Counts(2, 0)}}},"lastUsedAt":"{{Wire(used)}}"}""",
            line.ToJsonString());
        Assert.Equal(Counts(2, 0), usage["total"]!.ToJsonString());
        await ApiAssert.ErrorAsync(await Admin.GetAsync(KeyApi.Key(keyId) + "/usage"), 404, "NotFound", $"Key with ID \"{keyId}\" not found");
    }

    [Fact]
    public async Task Usage_AfterAMixedWorkload_EveryCountEqualsWhatTheAuditLogListsForTheSameWindow()
    {
        string p = await f.NewProjectAsync();
        (string aes, _) = await f.NewKeyAsync(p);
        (string other, _) = await f.NewKeyAsync(p, exportable: true);
        (string ecc, _) = await f.NewKeyAsync(p, "sign-verify", "ECC_NIST_P256");
        ApiCaller member = await f.CallerAsync(p, "member", "usage-mix-member");
        ApiCaller viewer = await f.CallerAsync(p, "viewer", "usage-mix-viewer");
        ApiCaller op = await f.CallerAsync(p, "cryptographic-operator", "usage-mix-operator");
        string ciphertext = await Admin.EncryptAsync(aes, "aGk=");   // before the window
        DateTime from = HourOf(f.NextHour(minutes: 50));
        await EncryptOkAsync(Admin, aes, 3);
        await ApiAssert.OkAsync(await DecryptAsync(member.Client, aes, ciphertext));
        await ApiAssert.ErrorAsync(await DecryptAsync(op.Client, aes, Tampered(ciphertext)), 400, "BadRequest");
        await ApiAssert.ErrorAsync(await EncryptAsync(viewer.Client, other), 403, "PermissionDenied");
        await EncryptOkAsync(op.Client, other, 2);
        f.Advance(TimeSpan.FromMinutes(20));   // the next hour
        string signature = await member.Client.SignAsync(ecc, "ECDSA_SHA_256", "aGk=");
        await ApiAssert.OkAsync(await member.Client.PostAsJsonAsync(KeyApi.Key(ecc) + "/verify", new { signingAlgorithm = "ECDSA_SHA_256", data = "aGk=", signature }));
        await ApiAssert.ErrorAsync(await viewer.Client.PostAsJsonAsync(KeyApi.Key(ecc) + "/sign", new { signingAlgorithm = "ECDSA_SHA_256", data = "aGk=" }), 403, "PermissionDenied");
        await ApiAssert.OkAsync(await Admin.GetAsync(KeyApi.Key(other) + "/private-key"));
        await ApiAssert.OkAsync(await Admin.PostAsJsonAsync(KeyApi.Key(aes) + "/rewrap", new { ciphertext }));
        await ApiAssert.OkAsync(await Admin.PostAsJsonAsync(KeyApi.Key(aes) + "/encrypt/batch", new { items = new[] { new { plaintext = "aGk=" }, new { plaintext = "aGk=" } } }));
        DateTime to = HourOf(f.NextHour(minutes: 5));
        await EncryptOkAsync(Admin, aes);   // after the window
        await ApiAssert.ErrorAsync(await DecryptAsync(Admin, other, Tampered(ciphertext)), 400, "BadRequest");
        string window = $"startDate={Wire(from)}&endDate={Wire(to)}";

        JsonObject project = await ProjectUsageAsync(Admin, p, $"?from={Wire(from)}&to={Wire(to)}");

        var keyTotals = new List<OutcomeCounts>();
        foreach (string keyId in new[] { aes, other, ecc })
        {
            JsonObject usage = await KeyUsageAsync(Admin, keyId, $"?from={Wire(from)}&to={Wire(to)}");
            JsonObject line = project["keys"]!.AsArray().Single(k => (string)k!["keyId"]! == keyId)!.AsObject();
            Assert.Equal(usage["operations"]!.ToJsonString(), line["operations"]!.ToJsonString());
            foreach ((string eventType, string operation) in KeyUsageOperations.All)
            {
                (int total, int failures) = await AuditCountAsync(p, $"eventType={eventType}&keyId={keyId}&{window}");
                JsonNode? counted = usage["operations"]![operation];
                Assert.Equal((total - failures, failures), ((long?)counted?["success"] ?? 0, (long?)counted?["failure"] ?? 0));
            }

            keyTotals.Add(new OutcomeCounts((long)usage["total"]!["success"]!, (long)usage["total"]!["failure"]!));
        }

        OutcomeCounts sum = keyTotals.Aggregate(default(OutcomeCounts), (a, b) => a + b);
        Assert.Equal(Counts(sum.Success, sum.Failure), project["total"]!.ToJsonString());
        Assert.Equal(Counts(11, 3), project["total"]!.ToJsonString());
        Assert.Equal(3, (int)project["keysUsed"]!);
        Assert.Equal("""{"PermissionDenied":2,"BadRequest":1}""", project["failures"]!.ToJsonString());
        Assert.Equal(sum.Total, project["buckets"]!.AsArray().Sum(b => (long)b!["total"]!["success"]! + (long)b["total"]!["failure"]!));
        Assert.Equal(sum.Total, project["topActors"]!.AsArray().Sum(a => (long)a!["count"]!));
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
        ApiCaller reader = await f.CallerAsync(p, role, "usage-project-reader");

        JsonObject usage = await ProjectUsageAsync(reader.Client, p, "?bucket=day");

        Assert.Equal(Counts(1, 0), usage["total"]!.ToJsonString());
        Assert.Equal(30, usage["buckets"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("cryptographic-operator")]
    [InlineData("no-access")]
    public async Task Usage_RoleWithoutAuditLogRead_Gets403(string role)
    {
        string p = await f.NewProjectAsync();
        ApiCaller caller = await f.CallerAsync(p, role, "usage-project-denied");

        await ApiAssert.ErrorAsync(await caller.Client.GetAsync($"/api/v1/projects/{p}/usage"), 403, "PermissionDenied",
            "You are not allowed to read on audit-logs");
    }

    [Fact]
    public async Task Usage_NonMemberOrUnknownProject_Gets404_NoTokenGets401()
    {
        string p = await f.NewProjectAsync();
        ApiCaller outsider = await f.CallerAsync(await f.NewProjectAsync(), "admin", "usage-project-outsider");
        string unknown = Guid.NewGuid().ToString();

        await ApiAssert.ErrorAsync(await outsider.Client.GetAsync($"/api/v1/projects/{p}/usage"), 404, "NotFound", $"Project with ID \"{p}\" not found");
        await ApiAssert.ErrorAsync(await Admin.GetAsync($"/api/v1/projects/{unknown}/usage"), 404, "NotFound", $"Project with ID \"{unknown}\" not found");
        await ApiAssert.ErrorAsync(await Admin.GetAsync("/api/v1/projects/not-a-project/usage"), 404, "NotFound", "Project with ID \"not-a-project\" not found");
        await ApiAssert.ErrorAsync(await f.CreateClient().GetAsync($"/api/v1/projects/{p}/usage"), 401, "UnauthorizedError", "Token missing");
    }

    [Theory]
    [InlineData("bucket=week", "bucket: Invalid enum value. Expected 'hour' | 'day', received 'week'")]
    [InlineData("from=2031-03-04T06:00:00Z&to=2031-03-04T05:59:59Z", "to: to must be after from")]
    [InlineData("from=soon&bucket=month", "from: Invalid datetime; bucket: Invalid enum value. Expected 'hour' | 'day', received 'month'")]
    [InlineData("from=2031-01-01T00:00:00Z&to=2031-04-01T00:00:00Z", "from: The window holds 2160 hourly buckets; at most 2000 are returned: narrow the window or use bucket=day")]
    public async Task Usage_InvalidQuery_Returns422AndWritesNothing(string query, string message)
    {
        string p = await f.NewProjectAsync();
        int records = await f.AuditRecordCountAsync();

        await ApiAssert.ErrorAsync(await Admin.GetAsync($"/api/v1/projects/{p}/usage?{query}"), 422, "ValidationFailure", message);
        await ProjectUsageAsync(Admin, p);

        Assert.Equal(records, await f.AuditRecordCountAsync());
    }

    /// <summary>What the audit log lists for a query: its total count, and how many of the records are failures.</summary>
    private async Task<(int Total, int Failures)> AuditCountAsync(string projectId, string query)
    {
        JsonObject page = await ApiAssert.OkAsync(await Admin.GetAsync($"/api/v1/projects/{projectId}/audit-logs?{query}&limit=100"));
        JsonArray logs = page["auditLogs"]!.AsArray();
        int total = (int)page["totalCount"]!;
        Assert.True(total <= 100, "the window holds more records than one page");
        return (total, logs.Count(e => (string)e!["outcome"]! == "failure"));
    }
}
