using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Audit;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>
/// Issue #6: each audited operation writes exactly the records of spec §10.7.4 — right type, actor, project, key,
/// origin, outcome, metadata and time, linked onto its chain (§10.7.3) — and requests refused before step 6 of
/// §1.8, or routes without an event, write none. Records are read from the database (every chain) and, for
/// project chains, also through the audit API.
/// </summary>
[Collection(AuditServerCollection.Name)]
public sealed class AuditRecordTests(AuditServerFixture f)
{
    public static TheoryData<string> Cases => AuditRecordCases.Names;

    public static TheoryData<string> SilentCases => AuditSilentCases.Names;

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Route_AuditedRequest_WritesExactlyItsRecords(string name)
    {
        // Arrange
        AuditScenario scenario = await AuditRecordCases.Find(name).Arrange(f);
        long before = await f.LastSequenceAsync();
        DateTime at = f.Tick();
        using var request = new HttpRequestMessage(scenario.Method, scenario.Path)
        {
            Content = scenario.Body is null ? null : JsonContent.Create(scenario.Body),
        };

        // Act
        HttpResponseMessage response = await scenario.Client.SendAsync(request);

        // Assert
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == scenario.Status, $"expected {scenario.Status}, got {(int)response.StatusCode}: {text}");
        IReadOnlyList<ExpectedRecord> expected = scenario.Expect(JsonNode.Parse(text)!.AsObject());
        List<AuditEvent> records = await f.RecordsAfterAsync(before);
        Assert.True(expected.Count == records.Count,
            $"expected {expected.Count} record(s), found {records.Count}: {string.Join(", ", records.Select(r => $"{r.EventType}/{r.Outcome}"))}");
        for (int i = 0; i < records.Count; i++)
        {
            AssertRecord(expected[i], records[i], at);
        }

        await AuditAssert.LinkedAsync(f, records);
        foreach (AuditEvent record in records.Where(r => r.ProjectId is not null))
        {
            await AuditAssert.ServedByApiAsync(f, record);
        }
    }

    [Theory]
    [MemberData(nameof(SilentCases))]
    public async Task Route_RefusedBeforePermissionCheckOrUnaudited_WritesNothing(string name)
    {
        SilentRequest silent = await AuditSilentCases.Get(name).Arrange(f);
        long before = await f.LastSequenceAsync();
        using var request = new HttpRequestMessage(silent.Method, silent.Path) { Content = silent.Content };

        HttpResponseMessage response = await silent.Client.SendAsync(request);

        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == silent.Status, $"expected {silent.Status}, got {(int)response.StatusCode}: {text}");
        List<AuditEvent> written = await f.RecordsAfterAsync(before);
        Assert.True(written.Count == 0, $"unexpected record(s): {string.Join(", ", written.Select(r => $"{r.EventType}/{r.Outcome}"))}");
    }

    [Fact]
    public async Task Bootstrap_Success_IsTheFirstRecordOfTheOrganizationChain()
    {
        List<AuditEvent> chain = await f.ChainAsync(f.OrganizationId);

        AuditEvent first = chain[0];
        Assert.Equal(1, first.ChainIndex);
        Assert.Equal(AuditHash.Genesis, first.PrevHash);
        Assert.Single(chain, e => e.EventType == "bootstrap-instance" && e.Outcome == "success");
        var expected = new ExpectedRecord("bootstrap-instance", f.OrganizationId, null, null, Expect.Meta(),
            Actor: new AuditActor("user", f.BootstrapUserId, AuditServerFixture.AdminEmail));
        AssertRecord(expected, first, f.BootstrappedAt);
        Assert.Equal(AuditHash.Compute(first), first.Hash);
    }

    [Fact]
    public async Task Scheduler_DueRotation_RecordsSystemActorWithoutOrigin()
    {
        // Arrange: a key due for rotation one day from now.
        Guid p = await f.NewProjectAsync();
        (Guid k, _) = await f.NewKeyAsync(p);
        await f.AdminSendAsync(HttpMethod.Put, KeyApi.Key(k.ToString()) + "/rotation-schedule", new { enabled = true, intervalDays = 1 });
        f.FakeClock.Advance(TimeSpan.FromDays(1));
        DateTime at = f.Tick();
        long before = await f.LastSequenceAsync();

        // Act
        int rotated = await f.Scheduler.RunDueRotationsAsync(CancellationToken.None);

        // Assert
        Assert.Equal(1, rotated);
        AuditEvent record = Assert.Single(await f.RecordsAfterAsync(before));
        Assert.Equal("cmek-rotate", record.EventType);
        Assert.Equal(("system", (Guid?)null, "rotation-scheduler"), (record.ActorType, record.ActorId, record.ActorName));
        Assert.Equal((p, k), (record.ProjectId, record.KeyId));
        Assert.Null(record.IpAddress);
        Assert.Null(record.UserAgent);
        Assert.Equal("success", record.Outcome);
        Assert.Equal(Expect.Meta(("keyVersion", "2"), ("scheduled", "true")), record.Metadata);
        Assert.Equal(AuditHash.TruncateToMilliseconds(at), record.CreatedAt);
        await AuditAssert.LinkedAsync(f, [record]);
        JsonObject served = await AuditAssert.ServedByApiAsync(f, record);
        Assert.Equal("""{"type":"system","id":null,"name":"rotation-scheduler"}""", served["actor"]!.ToJsonString());
        Assert.Null(served["ipAddress"]);
        Assert.Null(served["userAgent"]);
    }

    [Fact]
    public async Task UserAgent_LongerThan512Characters_IsCutTo512()
    {
        Guid p = await f.NewProjectAsync();
        (Guid k, _) = await f.NewKeyAsync(p);
        HttpClient client = f.Authorized(f.Admin.Client.DefaultRequestHeaders.Authorization!.Parameter!);
        client.DefaultRequestHeaders.Remove("User-Agent");
        string agent = "long-agent/1.0 (" + new string('x', 600) + ")";
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", agent);
        long before = await f.LastSequenceAsync();

        await ApiAssert.OkAsync(await client.GetAsync(KeyApi.Key(k.ToString())));

        AuditEvent record = Assert.Single(await f.RecordsAfterAsync(before));
        Assert.Equal(agent[..512], record.UserAgent);
        Assert.Equal(AuditHash.Compute(record), record.Hash);
    }

    [Fact]
    public async Task UserAgent_Absent_IsNull()
    {
        Guid p = await f.NewProjectAsync();
        (Guid k, _) = await f.NewKeyAsync(p);
        HttpClient client = f.Authorized(f.Admin.Client.DefaultRequestHeaders.Authorization!.Parameter!);
        client.DefaultRequestHeaders.Remove("User-Agent");
        long before = await f.LastSequenceAsync();

        await ApiAssert.OkAsync(await client.GetAsync(KeyApi.Key(k.ToString())));

        AuditEvent record = Assert.Single(await f.RecordsAfterAsync(before));
        Assert.Null(record.UserAgent);
        Assert.Null((await AuditAssert.ServedByApiAsync(f, record))["userAgent"]);
    }

    /// <summary>Every field of spec §10.7.3 except the chain links, which <see cref="AuditAssert.LinkedAsync"/> checks.</summary>
    private void AssertRecord(ExpectedRecord expected, AuditEvent actual, DateTime at)
    {
        string what = $"{expected.EventType} record";
        AuditActor actor = expected.Actor ?? f.AdminActor;
        Assert.Equal(expected.EventType, actual.EventType);
        Assert.True(actual.Id != Guid.Empty, what);
        Assert.Equal(f.OrganizationId, actual.OrganizationId);
        Assert.Equal(expected.ChainId, actual.ChainId);
        Assert.Equal((actor.Type, actor.Id, actor.Name), (actual.ActorType, actual.ActorId, actual.ActorName));
        Assert.Equal(expected.ProjectId, actual.ProjectId);
        Assert.Equal(expected.KeyId, actual.KeyId);
        Assert.Equal(AuditServerFixture.PeerIp, actual.IpAddress);
        Assert.Equal(AuditServerFixture.UserAgent, actual.UserAgent);
        Assert.Equal(expected.Outcome, actual.Outcome);
        Assert.Equal(AuditHash.TruncateToMilliseconds(at), actual.CreatedAt);
        Assert.Equal(Normalized(expected.Metadata), Normalized(actual.Metadata));
    }

    /// <summary><c>changedFields</c> is a comma-separated set (spec §10.7.4): its order is not part of the contract.</summary>
    private static SortedDictionary<string, string> Normalized(IReadOnlyDictionary<string, string> metadata) => new(
        metadata.ToDictionary(m => m.Key, m => m.Key == "changedFields" ? string.Join(',', m.Value.Split(',').Order(StringComparer.Ordinal)) : m.Value),
        StringComparer.Ordinal);
}
