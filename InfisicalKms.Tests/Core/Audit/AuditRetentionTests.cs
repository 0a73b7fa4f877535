using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Audit;

/// <summary>Retention (issue #6 item 6): pruning removes old records and the chain still verifies from its checkpoint.</summary>
public sealed class AuditRetentionTests : IAsyncLifetime
{
    private readonly CoreTestHost _core = new();

    public Task InitializeAsync() => _core.InitializeAsync();

    public Task DisposeAsync() => _core.DisposeAsync();

    private AuditLogService AuditLogs => _core.Services.GetRequiredService<AuditLogService>();

    private AuditRetention Retention => _core.Services.GetRequiredService<AuditRetention>();

    [Fact]
    public async Task Prune_RemovesTheOldRecords_AndTheChainStillVerifiesFromTheCheckpoint()
    {
        Project project = await _core.CreateProjectAsync("Retention");
        KmsKey key = await _core.CreateKeyAsync(project, "old-key", KeyAlgorithm.Aes256Gcm);
        for (int i = 0; i < 3; i++)
        {
            await _core.Crypto.EncryptAsync(_core.AdminActor, key.Id, [1, 2, 3], null, CancellationToken.None);
        }

        await Task.Delay(20);
        DateTime cutoff = DateTime.UtcNow;
        await Task.Delay(20);
        await _core.Crypto.EncryptAsync(_core.AdminActor, key.Id, [4, 5, 6], null, CancellationToken.None);
        AuditPage before = await AuditLogs.QueryAsync(_core.AdminActor, project.Id.ToString(), new AuditQuery(Limit: 100), CancellationToken.None);
        Assert.Equal(6, before.TotalCount);   // create-project, create-cmek, 3 + 1 encrypts

        int pruned = await Retention.PruneAsync(cutoff, CancellationToken.None);

        Assert.True(pruned >= 5, $"pruned {pruned}");   // every chain is pruned: the organization's and the host's project too
        AuditPage after = await AuditLogs.QueryAsync(_core.AdminActor, project.Id.ToString(), new AuditQuery(Limit: 100), CancellationToken.None);
        Assert.Equal([AuditEventTypes.AuditLogPruned, AuditEventTypes.Encrypt], after.Events.Select(e => e.EventType));
        AuditEvent checkpoint = after.Events[0];
        Assert.Equal(("system", (Guid?)null, AuditRetention.ActorName), (checkpoint.ActorType, checkpoint.ActorId, checkpoint.ActorName));
        Assert.Equal("5", checkpoint.Metadata["prunedCount"]);
        Assert.Equal(before.Events[1].Hash, checkpoint.Metadata["anchorHash"]);   // the newest pruned record
        Assert.Equal(AuditChainReport.Intact(2), await AuditLogs.VerifyAsync(_core.AdminActor, project.Id.ToString(), CancellationToken.None));
    }

    [Fact]
    public async Task Prune_WithNothingOld_ChangesNothing()
    {
        Project project = await _core.CreateProjectAsync("Fresh");
        Assert.Equal(0, await Retention.PruneAsync(DateTime.UtcNow.AddDays(-1), CancellationToken.None));
        AuditPage page = await AuditLogs.QueryAsync(_core.AdminActor, project.Id.ToString(), new AuditQuery(), CancellationToken.None);
        Assert.Equal([AuditEventTypes.CreateProject], page.Events.Select(e => e.EventType));
    }

    [Fact]
    public async Task MovingTheCheckpointToHideMoreRecords_IsReportedByVerify()
    {
        Project project = await _core.CreateProjectAsync("Moved checkpoint");
        KmsKey key = await _core.CreateKeyAsync(project, "k", KeyAlgorithm.Aes256Gcm);
        await Task.Delay(20);
        await Retention.PruneAsync(DateTime.UtcNow, CancellationToken.None);
        await _core.Crypto.EncryptAsync(_core.AdminActor, key.Id, [1], null, CancellationToken.None);
        await _core.Crypto.EncryptAsync(_core.AdminActor, key.Id, [2], null, CancellationToken.None);

        // An attacker deletes the oldest kept records and moves the head's checkpoint past them.
        await using (KmsDbContext db = await _core.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync())
        {
            AuditChainHead head = await db.AuditChainHeads.FirstAsync(h => h.ChainId == project.Id);
            AuditEvent firstKept = await db.AuditEvents.Where(e => e.ChainId == project.Id).OrderBy(e => e.ChainIndex).FirstAsync();
            AuditEvent secondKept = await db.AuditEvents.Where(e => e.ChainId == project.Id && e.ChainIndex > firstKept.ChainIndex).OrderBy(e => e.ChainIndex).FirstAsync();
            db.AuditEvents.Remove(firstKept);
            head.FirstIndex = secondKept.ChainIndex;
            head.AnchorHash = firstKept.Hash;
            await db.SaveChangesAsync();
        }

        AuditChainReport report = await AuditLogs.VerifyAsync(_core.AdminActor, project.Id.ToString(), CancellationToken.None);

        Assert.False(report.Valid);
        Assert.Contains("checkpoint", report.Problem, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("0", null)]
    [InlineData("30", 30)]
    public void Settings_AbsentOrZeroKeepForever(string? value, int? expected) =>
        Assert.Equal(expected, SettingsHost.Get<AuditRetentionSettings>(("Kms:Audit:RetentionDays", value)).Days);

    [Theory]
    [InlineData("-1")]
    [InlineData("thirty")]
    [InlineData("1.5")]
    public void Settings_NotAWholeNumberOfDays_RefusesStartUp(string value)
    {
        string refusal = Assert.Single(SettingsHost.Failures(("Kms:Audit:RetentionDays", value)));
        Assert.Equal("Kms:Audit:RetentionDays must be a whole number of days (0 keeps audit records forever).", refusal);
    }
}
