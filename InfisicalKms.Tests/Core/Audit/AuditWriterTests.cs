using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Audit;

/// <summary>The group-commit writer over a real SQLite file: every record once, in order, and recovery after a failed batch.</summary>
public sealed class AuditWriterTests(CoreTestHost host) : IClassFixture<CoreTestHost>
{
    private IAuditSink Sink => host.Services.GetRequiredService<IAuditSink>();

    [Fact]
    public async Task WriteAsync_ManyConcurrentCallers_CommitsEachRecordOnceInAValidChain()
    {
        Project project = await host.CreateProjectAsync("Concurrent writers");
        long before = await CountAsync(project.Id);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => Sink.WriteAsync([Record(project.Id)]))));

        Assert.Equal(before + 200, await CountAsync(project.Id));
        AuditChainReport report = await host.Services.GetRequiredService<AuditLogService>()
            .VerifyAsync(host.AdminActor, project.Id.ToString(), CancellationToken.None);
        Assert.True(report.Valid, report.Problem);
    }

    [Fact]
    public async Task WriteAsync_AfterAFailedBatch_RefusesItsCallersAndCommitsTheNextBatch()
    {
        Project project = await host.CreateProjectAsync("Failed batch");
        AuditEvent committed = Record(project.Id);
        await Sink.WriteAsync([committed]);
        long before = await CountAsync(project.Id);

        // The same record again: its Sequence and Id are taken, so the batch cannot commit.
        await Assert.ThrowsAsync<AuditUnavailableException>(() => Sink.WriteAsync([committed]));
        await Sink.WriteAsync([Record(project.Id)]);

        Assert.Equal(before + 1, await CountAsync(project.Id));
        AuditChainReport report = await host.Services.GetRequiredService<AuditLogService>()
            .VerifyAsync(host.AdminActor, project.Id.ToString(), CancellationToken.None);
        Assert.True(report.Valid, report.Problem);
    }

    private AuditEvent Record(Guid projectId) =>
        host.Services.GetRequiredService<AuditLog>().Entry(host.AdminActor, AuditEventTypes.Encrypt)
            .Target(projectId).With("keyVersion", 1).Succeeded(DateTime.UtcNow);

    private async Task<long> CountAsync(Guid projectId)
    {
        await using KmsDbContext db = await host.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        return await db.AuditEvents.LongCountAsync(e => e.ChainId == projectId);
    }
}
