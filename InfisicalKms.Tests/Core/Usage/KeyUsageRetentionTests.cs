using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Core.Usage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Usage;

/// <summary>
/// Retention pruning (<see cref="AuditRetention.PruneAsync"/>) uncounts the records it removes, so the usage
/// counts still equal what the audit log holds. A host of its own per test: pruning cuts every chain.
/// </summary>
public sealed class KeyUsageRetentionTests : IAsyncLifetime
{
    private readonly CoreTestHost _core = new();

    public Task InitializeAsync() => _core.InitializeAsync();

    public Task DisposeAsync() => _core.DisposeAsync();

    private KeyUsageService Usage => _core.Services.GetRequiredService<KeyUsageService>();

    [Fact]
    public async Task Prune_UncountsThePrunedRecords_CountsStillEqualTheRemainingRecords()
    {
        Project project = await _core.CreateProjectAsync("Retention usage");
        KmsKey key = await _core.CreateKeyAsync(project, "pruned", KeyAlgorithm.Aes256Gcm);
        DateTime now = DateTime.UtcNow;
        var alice = (Id: Guid.NewGuid(), Name: "alice");
        var bob = (Id: Guid.NewGuid(), Name: "bob");
        await UsageRecords.SaveAsync(_core,
            UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, now.AddDays(-10), alice),
            UsageRecords.Of(_core, key, AuditEventTypes.Decrypt, now.AddDays(-10).AddMinutes(1), bob, error: "BadRequest"),
            UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, now.AddDays(-9), bob),
            UsageRecords.Of(_core, key, AuditEventTypes.Encrypt, now.AddDays(-5), alice),
            UsageRecords.Of(_core, key, AuditEventTypes.Decrypt, now.AddHours(-1), alice, error: "BadRequest"));
        var query = new UsageQuery(now.AddDays(-20), now.AddDays(1), UsageBucket.Day);
        KeyUsageReport before = await Usage.ForKeyAsync(_core.AdminActor, key.Id, query, CancellationToken.None);
        Assert.Equal(await AuditCountsAsync(key), Operations(before));
        Assert.Equal(new OutcomeCounts(3, 2), before.Usage.Total);

        await _core.Services.GetRequiredService<AuditRetention>().PruneAsync(now.AddDays(-7), CancellationToken.None);

        KeyUsageReport after = await Usage.ForKeyAsync(_core.AdminActor, key.Id, query, CancellationToken.None);
        Assert.Equal(["encrypt 1/0", "decrypt 0/1"], await AuditCountsAsync(key));
        Assert.Equal(await AuditCountsAsync(key), Operations(after));
        Assert.Equal(new Dictionary<string, long> { ["BadRequest"] = 1 }, after.Usage.Failures);
        Assert.Equal([("alice", 2L, 1L)], after.Usage.TopActors.Select(a => (a.Name, a.Count, a.FailureCount)));
        Assert.Equal(0, after.Usage.Buckets.Where(b => b.Start < now.AddDays(-7)).Sum(b => b.Total.Total));
        KeyUsageReport afterByHour = await Usage.ForKeyAsync(_core.AdminActor, key.Id, query with { Bucket = UsageBucket.Hour }, CancellationToken.None);
        Assert.Equal(await AuditCountsAsync(key), Operations(afterByHour));   // the hourly tables, the daily ones above
        Assert.Equal([("alice", 2L, 1L)], afterByHour.Usage.TopActors.Select(a => (a.Name, a.Count, a.FailureCount)));
        Assert.Equal((0, 0), await EmptyCountRowsAsync());
    }

    /// <summary>The key's usage records in the audit log, per operation and outcome, in report order.</summary>
    private async Task<List<string>> AuditCountsAsync(KmsKey key)
    {
        await using KmsDbContext db = await _core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        var records = await db.AuditEvents.AsNoTracking().Where(e => e.KeyId == key.Id)
            .Select(e => new { e.EventType, e.Outcome }).ToListAsync();
        return [.. KeyUsageOperations.All
            .Select(o => (o.Operation, Records: records.Where(r => r.EventType == o.EventType).ToList()))
            .Where(o => o.Records.Count > 0)
            .Select(o => $"{o.Operation} {o.Records.Count(r => r.Outcome == "success")}/{o.Records.Count(r => r.Outcome == "failure")}")];
    }

    private static List<string> Operations(KeyUsageReport report) =>
        [.. report.Usage.Operations.Select(o => $"{o.Key} {o.Value.Success}/{o.Value.Failure}")];

    /// <summary>Count rows, hourly and daily, left at zero or below by the delete trigger (it must remove them).</summary>
    private async Task<(long Usage, long Actors)> EmptyCountRowsAsync()
    {
        await using KmsDbContext db = await _core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        long usage = await db.Database.SqlQuery<long>($"""
            SELECT (SELECT COUNT(*) FROM "KeyUsageHours" WHERE "Count" <= 0) + (SELECT COUNT(*) FROM "KeyUsageDays" WHERE "Count" <= 0) AS "Value"
            """).SingleAsync();
        long actors = await db.Database.SqlQuery<long>($"""
            SELECT (SELECT COUNT(*) FROM "KeyUsageActorHours" WHERE "Count" <= 0 OR "FailureCount" < 0)
                + (SELECT COUNT(*) FROM "KeyUsageActorDays" WHERE "Count" <= 0 OR "FailureCount" < 0) AS "Value"
            """).SingleAsync();
        return (usage, actors);
    }
}
