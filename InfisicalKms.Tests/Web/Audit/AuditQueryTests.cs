using System.Text.Json.Nodes;
using InfisicalKms.Core.Audit;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>
/// The audit log query (spec §10.7.1): newest first, <c>totalCount</c> before paging, filters by event type, key,
/// actor and date (start inclusive, end exclusive), its 422 messages, and who may read it (§9.4, §9.7).
/// </summary>
[Collection(AuditServerCollection.Name)]
public sealed class AuditQueryTests(AuditServerFixture f)
{
    private const string Denied = "You are not allowed to read on audit-logs";

    public static TheoryData<string, string> InvalidQueries => new()
    {
        { "keyId=abc", "keyId: Invalid uuid" },
        { "actorId=5e7c1d2a-9b3f-4a6e-8d0c", "actorId: Invalid uuid" },
        { "startDate=2031-05-06", "startDate: Invalid datetime" },
        { "startDate=yesterday", "startDate: Invalid datetime" },
        { "endDate=2031-05-06T07:08:09", "endDate: Invalid datetime" },
        { "endDate=2031-13-01T00:00:00Z", "endDate: Invalid datetime" },
        { "startDate=2031-05-06T07:08:09.123Z&endDate=2031-05-06T07:08:09.123Z", "endDate: endDate must be after startDate" },
        { "startDate=2031-05-07T00:00:00Z&endDate=2031-05-06T23:59:59%2B02:00", "endDate: endDate must be after startDate" },
        { "limit=0", "limit: Number must be greater than or equal to 1" },
        { "limit=101", "limit: Number must be less than or equal to 100" },
        { "limit=abc", "limit: Expected number, received nan" },
        { "limit=1.5", "limit: Expected integer, received float" },
        { "offset=-1", "offset: Number must be greater than or equal to 0" },
        { "keyId=abc&limit=0&startDate=never", "limit: Number must be greater than or equal to 1; keyId: Invalid uuid; startDate: Invalid datetime" },
    };

    [Fact]
    public async Task Query_NoFilters_ReturnsTheProjectChainNewestFirstWithTotalCount()
    {
        History h = await HistoryAsync();

        (List<Guid> ids, int total) = await QueryAsync(f.Admin.Client, h.ProjectId, "");

        Assert.Equal(h.Chain.Count, total);
        Assert.Equal(h.Chain.Select(e => e.Id).Reverse(), ids);
    }

    [Fact]
    public async Task Query_OffsetAndLimit_SliceTheNewestFirstOrderAndKeepTotalCount()
    {
        History h = await HistoryAsync();

        (List<Guid> ids, int total) = await QueryAsync(f.Admin.Client, h.ProjectId, "offset=2&limit=3");
        (List<Guid> beyond, int sameTotal) = await QueryAsync(f.Admin.Client, h.ProjectId, $"offset={h.Chain.Count}");

        Assert.Equal(h.Chain.Select(e => e.Id).Reverse().Skip(2).Take(3), ids);
        Assert.Equal(h.Chain.Count, total);
        Assert.Empty(beyond);
        Assert.Equal(h.Chain.Count, sameTotal);
    }

    [Fact]
    public async Task Query_WithoutLimit_Returns20()
    {
        Guid p = await f.NewProjectAsync();
        (Guid k, _) = await f.NewKeyAsync(p);
        for (int i = 0; i < 21; i++)
        {
            await ApiAssert.OkAsync(await f.Admin.Client.GetAsync(KeyApi.Key(k.ToString())));
        }

        (List<Guid> ids, int total) = await QueryAsync(f.Admin.Client, p, "");

        Assert.Equal(23, total);
        Assert.Equal(20, ids.Count);
        Assert.Equal((await f.ChainAsync(p)).Select(e => e.Id).Reverse().Take(20), ids);
    }

    [Fact]
    public async Task Query_EventType_MatchesExactly()
    {
        History h = await HistoryAsync();

        (List<Guid> encrypts, int total) = await QueryAsync(f.Admin.Client, h.ProjectId, "eventType=cmek-encrypt");
        (List<Guid> prefix, int none) = await QueryAsync(f.Admin.Client, h.ProjectId, "eventType=cmek");
        (_, int unknown) = await QueryAsync(f.Admin.Client, h.ProjectId, "eventType=no-such-event");

        Assert.Equal(h.Chain.Where(e => e.EventType == "cmek-encrypt").Select(e => e.Id).Reverse(), encrypts);
        Assert.Equal(4, total);
        Assert.Empty(prefix);
        Assert.Equal(0, none);
        Assert.Equal(0, unknown);
    }

    [Fact]
    public async Task Query_KeyId_ReturnsThatKeysRecordsInEitherCase()
    {
        History h = await HistoryAsync();

        (List<Guid> ids, int total) = await QueryAsync(f.Admin.Client, h.ProjectId, $"keyId={h.KeyA.ToString().ToUpperInvariant()}");

        List<Guid> expected = h.Chain.Where(e => e.KeyId == h.KeyA).Select(e => e.Id).Reverse().ToList();
        Assert.Equal(["get-cmek", "cmek-encrypt", "cmek-encrypt", "cmek-encrypt", "create-cmek"], h.Chain.Where(e => e.KeyId == h.KeyA).Select(e => e.EventType).Reverse());
        Assert.Equal(expected, ids);
        Assert.Equal(expected.Count, total);
    }

    [Fact]
    public async Task Query_ActorId_ReturnsOnlyThatActorsRecords()
    {
        History h = await HistoryAsync();

        (List<Guid> member, int total) = await QueryAsync(f.Admin.Client, h.ProjectId, $"actorId={h.MemberId}");
        (_, int admin) = await QueryAsync(f.Admin.Client, h.ProjectId, $"actorId={f.AdminIdentityId}");

        Assert.Equal([h.Chain[^1].Id], member);
        Assert.Equal(1, total);
        Assert.Equal(h.Chain.Count - 1, admin);
    }

    [Fact]
    public async Task Query_DateRange_StartIsInclusiveAndEndExclusive()
    {
        History h = await HistoryAsync();
        AuditEvent from = h.Chain[^4];
        AuditEvent until = h.Chain[^2];

        string start = AuditHash.FormatTime(from.CreatedAt);
        string end = AuditHash.FormatTime(until.CreatedAt);
        (List<Guid> ids, int total) = await QueryAsync(f.Admin.Client, h.ProjectId, $"startDate={start}&endDate={end}");
        (List<Guid> later, _) = await QueryAsync(f.Admin.Client, h.ProjectId, $"startDate={end}");
        (List<Guid> earlier, _) = await QueryAsync(f.Admin.Client, h.ProjectId, $"endDate={start}");

        Assert.Equal([h.Chain[^3].Id, from.Id], ids);
        Assert.Equal(2, total);
        Assert.Equal([h.Chain[^1].Id, until.Id], later);
        Assert.Equal(h.Chain.Take(h.Chain.Count - 4).Select(e => e.Id).Reverse(), earlier);
    }

    [Fact]
    public async Task Query_DateWithNumericOffset_MeansTheSameInstant()
    {
        History h = await HistoryAsync();
        AuditEvent from = h.Chain[^2];
        string shifted = from.CreatedAt.AddHours(2).ToString("yyyy-MM-dd'T'HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture) + "%2B02:00";

        (List<Guid> ids, _) = await QueryAsync(f.Admin.Client, h.ProjectId, $"startDate={shifted}");

        Assert.Equal([h.Chain[^1].Id, from.Id], ids);
    }

    [Fact]
    public async Task Query_FiltersTogether_AreAllApplied()
    {
        History h = await HistoryAsync();
        string start = AuditHash.FormatTime(h.Chain[^4].CreatedAt);

        (List<Guid> ids, int total) = await QueryAsync(f.Admin.Client, h.ProjectId,
            $"eventType=cmek-encrypt&keyId={h.KeyA}&actorId={f.AdminIdentityId}&startDate={start}&limit=1");

        Assert.Equal([h.Chain[^3].Id], ids);
        Assert.Equal(2, total);
    }

    [Theory]
    [MemberData(nameof(InvalidQueries))]
    public async Task Query_InvalidParameter_Returns422WithSpecMessage(string query, string message)
    {
        Guid p = await f.NewProjectAsync();

        HttpResponseMessage response = await f.Admin.Client.GetAsync($"/api/v1/projects/{p}/audit-logs?{query}");

        await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", message);
    }

    [Fact]
    public async Task Query_EndNotAfterStart_DetailNamesEndDate()
    {
        Guid p = await f.NewProjectAsync();

        HttpResponseMessage response = await f.Admin.Client.GetAsync(
            $"/api/v1/projects/{p}/audit-logs?startDate=2031-05-06T10:00:00Z&endDate=2031-05-06T09:00:00Z");

        JsonObject body = await ApiAssert.ErrorAsync(response, 422, "ValidationFailure", "endDate: endDate must be after startDate");
        Assert.Equal("""[{"field":"endDate","message":"endDate must be after startDate"}]""", body["details"]!.ToJsonString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("/verify")]
    public async Task AuditLog_CryptographicOperator_Gets403(string route)
    {
        Guid p = await f.NewProjectAsync();
        ApiCaller op = await f.CallerAsync(p, "cryptographic-operator", name: "operator");

        await ApiAssert.ErrorAsync(await op.Client.GetAsync($"/api/v1/projects/{p}/audit-logs{route}"), 403, "PermissionDenied", Denied);
    }

    [Theory]
    [InlineData("viewer", "")]
    [InlineData("viewer", "/verify")]
    [InlineData("member", "")]
    [InlineData("admin", "/verify")]
    public async Task AuditLog_ReadingRole_Gets200(string role, string route)
    {
        Guid p = await f.NewProjectAsync();
        ApiCaller reader = await f.CallerAsync(p, role, name: "reader");

        await ApiAssert.OkAsync(await reader.Client.GetAsync($"/api/v1/projects/{p}/audit-logs{route}"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/verify")]
    public async Task AuditLog_NonMemberOrUnknownProject_Gets404(string route)
    {
        Guid p = await f.NewProjectAsync();
        ApiCaller outsider = await f.CallerAsync(null, null, name: "outsider");
        Guid unknown = Guid.NewGuid();

        await ApiAssert.ErrorAsync(await outsider.Client.GetAsync($"/api/v1/projects/{p}/audit-logs{route}"),
            404, "NotFound", $"Project with ID \"{p}\" not found");
        await ApiAssert.ErrorAsync(await f.Admin.Client.GetAsync($"/api/v1/projects/{unknown}/audit-logs{route}"),
            404, "NotFound", $"Project with ID \"{unknown}\" not found");
        await ApiAssert.ErrorAsync(await f.Admin.Client.GetAsync($"/api/v1/projects/not-a-project/audit-logs{route}"),
            404, "NotFound", "Project with ID \"not-a-project\" not found");
    }

    [Fact]
    public async Task AuditLog_WithoutToken_Gets401()
    {
        Guid p = await f.NewProjectAsync();

        await ApiAssert.ErrorAsync(await f.CreateClient().GetAsync($"/api/v1/projects/{p}/audit-logs"), 401, "UnauthorizedError", "Token missing");
    }

    /// <summary>
    /// A project whose chain is: create-project, create-cmek A, create-cmek B, add-identity-membership, then (one tick
    /// apart) cmek-encrypt A ×3, cmek-encrypt B and get-cmek A by the member.
    /// </summary>
    private async Task<History> HistoryAsync()
    {
        Guid p = await f.NewProjectAsync();
        (Guid a, _) = await f.NewKeyAsync(p);
        (Guid b, _) = await f.NewKeyAsync(p);
        ApiCaller member = await f.CallerAsync(p, "member", name: "history-member");
        foreach (Guid key in new[] { a, a, a, b })
        {
            f.Tick();
            await f.AdminSendAsync(HttpMethod.Post, KeyApi.Key(key.ToString()) + "/encrypt", new { plaintext = "aGk=" });
        }

        f.Tick();
        await ApiAssert.OkAsync(await member.Client.GetAsync(KeyApi.Key(a.ToString())));
        List<AuditEvent> chain = await f.ChainAsync(p);
        Assert.Equal(["create-project", "create-cmek", "create-cmek", "add-identity-membership",
            "cmek-encrypt", "cmek-encrypt", "cmek-encrypt", "cmek-encrypt", "get-cmek"], chain.Select(e => e.EventType));
        return new History(p, a, b, Guid.Parse(member.IdentityId), chain);
    }

    private static async Task<(List<Guid> Ids, int Total)> QueryAsync(HttpClient client, Guid projectId, string query)
    {
        JsonObject page = await ApiAssert.OkAsync(await client.GetAsync($"/api/v1/projects/{projectId}/audit-logs?{query}"));
        AuthTestHelpers.AssertMembers(page, "auditLogs", "totalCount");
        JsonArray logs = page["auditLogs"]!.AsArray();
        Assert.All(logs, e => Assert.Equal(projectId.ToString(), (string?)e!["projectId"]));
        return (logs.Select(e => Guid.Parse((string)e!["id"]!)).ToList(), (int)page["totalCount"]!);
    }

    private sealed record History(Guid ProjectId, Guid KeyA, Guid KeyB, Guid MemberId, List<AuditEvent> Chain);
}
