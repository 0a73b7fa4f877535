using System.Text.Json.Nodes;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>Checks on stored records: their place in the chain (spec §10.7.3) and how the audit API serves them (§10.7.1).</summary>
public static class AuditAssert
{
    private static readonly string[] EventMembers =
        ["id", "eventType", "actor", "projectId", "keyId", "ipAddress", "userAgent", "outcome", "metadata", "createdAt", "hash", "prevHash"];

    /// <summary>
    /// Each record carries the hash of its own fields, links to the record before it in its chain (64 zeros for the
    /// first), sits at the next index, and the chain's stored head names the newest record.
    /// </summary>
    public static async Task LinkedAsync(AuditServerFixture f, IEnumerable<AuditEvent> records)
    {
        foreach (AuditEvent record in records)
        {
            List<AuditEvent> chain = await f.ChainAsync(record.ChainId);
            Assert.Equal(Enumerable.Range(1, chain.Count).Select(i => (long)i), chain.Select(e => e.ChainIndex));
            string previous = record.ChainIndex == 1 ? AuditHash.Genesis : chain[(int)record.ChainIndex - 2].Hash;
            Assert.Equal(previous, record.PrevHash);
            Assert.Matches("^[0-9a-f]{64}$", record.Hash);
            Assert.Equal(AuditHash.Compute(record), record.Hash);

            await using KmsDbContext db = await f.DbAsync();
            AuditChainHead head = await db.AuditChainHeads.AsNoTracking().SingleAsync(h => h.ChainId == record.ChainId);
            Assert.Equal((chain[^1].ChainIndex, chain[^1].Hash), (head.LastIndex, head.LastHash));
        }
    }

    /// <summary>
    /// The project's audit log serves the record with exactly the members of spec §10.7.3 and the stored values, and
    /// the project's chain verifies. Returns the served event.
    /// </summary>
    public static async Task<JsonObject> ServedByApiAsync(AuditServerFixture f, AuditEvent record)
    {
        string logs = $"/api/v1/projects/{record.ProjectId}/audit-logs";
        JsonObject page = await ApiAssert.OkAsync(await f.Admin.Client.GetAsync(logs + "?limit=100"));
        JsonObject served = page["auditLogs"]!.AsArray().Select(e => e!.AsObject()).Single(e => (string?)e["id"] == record.Id.ToString());

        AuthTestHelpers.AssertMembers(served, EventMembers);
        AuthTestHelpers.AssertMembers(served["actor"]!.AsObject(), "type", "id", "name");
        Assert.Equal(record.EventType, (string?)served["eventType"]);
        Assert.Equal(record.ActorType, (string?)served["actor"]!["type"]);
        Assert.Equal(record.ActorId?.ToString(), (string?)served["actor"]!["id"]);
        Assert.Equal(record.ActorName, (string?)served["actor"]!["name"]);
        Assert.Equal(record.ProjectId?.ToString(), (string?)served["projectId"]);
        Assert.Equal(record.KeyId?.ToString(), (string?)served["keyId"]);
        Assert.Equal(record.IpAddress, (string?)served["ipAddress"]);
        Assert.Equal(record.UserAgent, (string?)served["userAgent"]);
        Assert.Equal(record.Outcome, (string?)served["outcome"]);
        Assert.Equal(record.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal),
            served["metadata"]!.AsObject().Select(m => KeyValuePair.Create(m.Key, (string)m.Value!)).OrderBy(m => m.Key, StringComparer.Ordinal));
        Assert.Equal(AuditHash.FormatTime(record.CreatedAt), (string?)served["createdAt"]);
        KeyApi.AssertTimestamp(served["createdAt"]);
        Assert.Equal(record.Hash, (string?)served["hash"]);
        Assert.Equal(record.PrevHash, (string?)served["prevHash"]);

        int count = (await f.ChainAsync(record.ChainId)).Count;
        JsonObject verified = await ApiAssert.OkAsync(await f.Admin.Client.GetAsync(logs + "/verify"));
        Assert.Equal($$"""{"valid":true,"checked":{{count}},"firstInvalidId":null}""", verified.ToJsonString());
        return served;
    }
}
