using System.Data.Common;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Data.Sqlite;
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

    [Fact]
    public async Task WriteAsync_StoresEveryColumnInTheFormEfStoresIt()
    {
        // The writer inserts with its own statements; a record it writes must be the record SaveChanges
        // would have written, or EF's queries (a Guid compared as text, a time as text) would miss it.
        Project project = await host.CreateProjectAsync("Stored form");
        var keyId = Guid.NewGuid();
        var origin = new RequestOrigin("203.0.113.9", "stored-form-test/1.0");
        var at = new DateTime(2026, 12, 5, 8, 30, 15, 123, DateTimeKind.Utc);
        AuditEvent Encrypt() => host.Services.GetRequiredService<AuditLog>()
            .Entry(AuditActor.Of(host.AdminActor), host.Organization.Id, origin, AuditEventTypes.Encrypt)
            .Target(project.Id, keyId).With("keyName", "stored-form").With("keyVersion", 3).Succeeded(at);

        AuditEvent throughEf = Encrypt();
        await using (KmsDbContext db = await CreateDbAsync())
        {
            db.AuditEvents.Add(throughEf);
            await db.SaveChangesAsync();
        }

        AuditEvent throughWriter = Encrypt();
        await Sink.WriteAsync([throughWriter]);

        await using (KmsDbContext db = await CreateDbAsync())
        {
            Dictionary<string, (string Type, object? Value)> ef = await StoredColumnsAsync(db, throughEf.Id);
            Dictionary<string, (string Type, object? Value)> writer = await StoredColumnsAsync(db, throughWriter.Id);
            Assert.Equal(ef.Keys.Order(), writer.Keys.Order());
            foreach (string column in ef.Keys)
            {
                Assert.True(ef[column].Type == writer[column].Type, $"{column}: stored as {writer[column].Type}, EF stores {ef[column].Type}");
                if (column is not ("Sequence" or "Id" or "ChainIndex" or "Hash" or "PrevHash"))
                {
                    Assert.True(Equals(ef[column].Value, writer[column].Value), $"{column}: stored {writer[column].Value}, EF stores {ef[column].Value}");
                }
            }

            AuditEvent read = await db.AuditEvents.AsNoTracking().SingleAsync(e => e.Id == throughWriter.Id && e.ChainId == project.Id && e.CreatedAt == at);
            Assert.Equal(throughEf.ChainIndex + 1, read.ChainIndex);
            Assert.Equal(throughEf.Hash, read.PrevHash);
            Assert.Equal(throughWriter.Metadata, read.Metadata);
            Assert.True(AuditHash.Matches(read));
        }
    }

    private AuditEvent Record(Guid projectId) =>
        host.Services.GetRequiredService<AuditLog>().Entry(host.AdminActor, AuditEventTypes.Encrypt)
            .Target(projectId).With("keyVersion", 1).Succeeded(DateTime.UtcNow);

    private async Task<long> CountAsync(Guid projectId)
    {
        await using KmsDbContext db = await CreateDbAsync();
        return await db.AuditEvents.LongCountAsync(e => e.ChainId == projectId);
    }

    private Task<KmsDbContext> CreateDbAsync() =>
        host.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();

    /// <summary>Each column of the record with <paramref name="id"/>: its SQLite storage class (as the CLR type the reader returns for it) and raw value.</summary>
    private static async Task<Dictionary<string, (string Type, object? Value)>> StoredColumnsAsync(KmsDbContext db, Guid id)
    {
        await db.Database.OpenConnectionAsync();
        await using DbCommand command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "SELECT * FROM AuditEvents WHERE Id = $id";
        command.Parameters.Add(new SqliteParameter("$id", id.ToString().ToUpperInvariant()));
        await using DbDataReader reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"No row whose Id is stored as upper-case text {id}");
        return Enumerable.Range(0, reader.FieldCount).ToDictionary(
            reader.GetName,
            i => reader.IsDBNull(i) ? ("null", null) : (reader.GetValue(i).GetType().Name, reader.GetValue(i)));
    }
}
