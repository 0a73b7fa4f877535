using System.Text.Json.Nodes;
using InfisicalKms.Core.Audit;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>
/// Issue #6: editing, deleting, reordering or inserting any record in the database makes
/// <c>GET /audit-logs/verify</c> (spec §10.7.2) answer <c>valid: false</c> with the first broken record and the
/// number of good records before it; removing the newest records is caught through the chain head. Each test
/// tampers with a six-record chain of its own project.
/// </summary>
[Collection(AuditServerCollection.Name)]
public sealed class AuditTamperTests(AuditServerFixture f)
{
    private const string Where = "WHERE upper(ChainId) = upper($chain) AND ChainIndex = 4";

    public static TheoryData<string> Edits => new()
    {
        "EventType = 'cmek-decrypt'",
        "ActorName = 'mallory'",
        "ActorId = NULL",
        "KeyId = NULL",
        "IpAddress = '198.51.100.1'",
        "UserAgent = 'curl/8.0'",
        "Outcome = 'failure'",
        "Metadata = '{\"keyVersion\":\"7\"}'",
        "CreatedAt = replace(CreatedAt, '2031', '2030')",
        "Hash = PrevHash",
        "PrevHash = Hash",
    };

    [Fact]
    public async Task Verify_UntouchedChain_IsValidWithEveryRecordChecked()
    {
        (Guid p, _) = await ChainAsync();

        Assert.Equal("""{"valid":true,"checked":6,"firstInvalidId":null}""", (await VerifyAsync(p)).ToJsonString());
    }

    [Theory]
    [MemberData(nameof(Edits))]
    public async Task Verify_MiddleRecordEdited_ReportsThatRecord(string assignment)
    {
        (Guid p, List<AuditEvent> records) = await ChainAsync();

        await f.ExecuteSqlAsync($"UPDATE AuditEvents SET {assignment} {Where}", ("$chain", p.ToString()));

        AssertReport(await VerifyAsync(p), valid: false, 3, records[3].Id);
    }

    [Fact]
    public async Task Verify_MiddleRecordDeleted_ReportsTheRecordAfterTheGap()
    {
        (Guid p, List<AuditEvent> records) = await ChainAsync();

        await f.ExecuteSqlAsync($"DELETE FROM AuditEvents {Where}", ("$chain", p.ToString()));

        AssertReport(await VerifyAsync(p), valid: false, 3, records[4].Id);
    }

    [Fact]
    public async Task Verify_TwoRecordsReordered_ReportsTheOneMovedForward()
    {
        (Guid p, List<AuditEvent> records) = await ChainAsync();

        const string Move = "UPDATE AuditEvents SET ChainIndex = $to WHERE upper(ChainId) = upper($chain) AND ChainIndex = $from";
        await f.ExecuteSqlAsync(Move, ("$chain", p.ToString()), ("$from", 4), ("$to", -4));
        await f.ExecuteSqlAsync(Move, ("$chain", p.ToString()), ("$from", 5), ("$to", 4));
        await f.ExecuteSqlAsync(Move, ("$chain", p.ToString()), ("$from", -4), ("$to", 5));

        AssertReport(await VerifyAsync(p), valid: false, 3, records[4].Id);
    }

    [Fact]
    public async Task Verify_ForgedRecordInserted_ReportsTheForgery()
    {
        (Guid p, _) = await ChainAsync();
        string forged = Guid.NewGuid().ToString().ToUpperInvariant();

        // Records 4 onwards move up one place; the forgery, a copy of record 3 under a new ID, takes index 4.
        await f.ExecuteSqlAsync("UPDATE AuditEvents SET ChainIndex = -ChainIndex WHERE upper(ChainId) = upper($chain) AND ChainIndex >= 4", ("$chain", p.ToString()));
        await f.ExecuteSqlAsync("UPDATE AuditEvents SET ChainIndex = 1 - ChainIndex WHERE upper(ChainId) = upper($chain) AND ChainIndex < 0", ("$chain", p.ToString()));
        await f.ExecuteSqlAsync(
            """
            INSERT INTO AuditEvents (Id, OrganizationId, ChainId, ChainIndex, EventType, ActorType, ActorId, ActorName, ProjectId, KeyId,
                                     IpAddress, UserAgent, Outcome, Metadata, CreatedAt, Hash, PrevHash)
            SELECT $id, OrganizationId, ChainId, 4, EventType, ActorType, ActorId, ActorName, ProjectId, KeyId,
                   IpAddress, UserAgent, Outcome, Metadata, CreatedAt, Hash, PrevHash
            FROM AuditEvents WHERE upper(ChainId) = upper($chain) AND ChainIndex = 3
            """,
            ("$chain", p.ToString()), ("$id", forged));

        AssertReport(await VerifyAsync(p), valid: false, 3, Guid.Parse(forged));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Verify_NewestRecordsDeleted_IsInvalidWithoutAFirstInvalidId(int removed)
    {
        (Guid p, _) = await ChainAsync();

        await f.ExecuteSqlAsync("DELETE FROM AuditEvents WHERE upper(ChainId) = upper($chain) AND ChainIndex > $keep",
            ("$chain", p.ToString()), ("$keep", 6 - removed));

        AssertReport(await VerifyAsync(p), valid: false, 6 - removed, null);
    }

    [Fact]
    public async Task Verify_AnotherProjectTampered_ThisProjectStaysValid()
    {
        (Guid a, _) = await ChainAsync();
        (Guid b, List<AuditEvent> records) = await ChainAsync();

        await f.ExecuteSqlAsync($"UPDATE AuditEvents SET ActorName = 'mallory' {Where}", ("$chain", b.ToString()));

        AssertReport(await VerifyAsync(b), valid: false, 3, records[3].Id);
        AssertReport(await VerifyAsync(a), valid: true, 6, null);
    }

    [Fact]
    public async Task Verify_RecordsAddedAfterTampering_StillReportTheFirstBrokenRecord()
    {
        (Guid p, List<AuditEvent> records) = await ChainAsync();
        await f.ExecuteSqlAsync($"UPDATE AuditEvents SET Outcome = 'failure' {Where}", ("$chain", p.ToString()));

        await f.AdminSendAsync(HttpMethod.Get, $"{KeyApi.Keys}?projectId={p}");

        AssertReport(await VerifyAsync(p), valid: false, 3, records[3].Id);
    }

    private static void AssertReport(JsonObject report, bool valid, long checkedCount, Guid? firstInvalid)
    {
        AuthTestHelpers.AssertMembers(report, "valid", "checked", "firstInvalidId");
        Assert.Equal((valid, checkedCount, firstInvalid?.ToString()), ((bool)report["valid"]!, (long)report["checked"]!, (string?)report["firstInvalidId"]));
    }

    private async Task<JsonObject> VerifyAsync(Guid projectId) =>
        await ApiAssert.OkAsync(await f.Admin.Client.GetAsync($"/api/v1/projects/{projectId}/audit-logs/verify"));

    /// <summary>A project whose chain is create-project, create-cmek and four cmek-encrypt, one tick apart.</summary>
    private async Task<(Guid ProjectId, List<AuditEvent> Records)> ChainAsync()
    {
        f.Tick();
        Guid p = await f.NewProjectAsync();
        f.Tick();
        (Guid k, _) = await f.NewKeyAsync(p);
        for (int i = 0; i < 4; i++)
        {
            f.Tick();
            await f.AdminSendAsync(HttpMethod.Post, KeyApi.Key(k.ToString()) + "/encrypt", new { plaintext = "aGk=" });
        }

        List<AuditEvent> records = await f.ChainAsync(p);
        Assert.Equal(6, records.Count);
        return (p, records);
    }
}
