using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace InfisicalKms.Tests.Core.Audit;

/// <summary>
/// The group-commit writer over a real SQLite file: every record once, in order, recovery after a failed
/// batch, and the commit delay (held only after a batch with company; never for a lone caller; ended by closing).
/// </summary>
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

    [Fact]
    public async Task WriteAsync_ALoneCaller_IsNeverHeldForCompany()
    {
        // A delay far beyond the test's patience: a lone caller that were held would time out.
        await using AuditWriter writer = Writer(TimeSpan.FromSeconds(60));
        Project project = await host.CreateProjectAsync("Lone caller");
        long before = await CountAsync(project.Id);

        for (int i = 0; i < 3; i++)
        {
            await writer.WriteAsync([Record(project.Id)]).WaitAsync(TimeSpan.FromSeconds(15));
        }

        Assert.Equal(before + 3, await CountAsync(project.Id));
    }

    [Fact]
    public async Task WriteAsync_AfterABatchWithCompany_HoldsTheNextBatchForTheCommitDelay_AndNotTheOneAfterIt()
    {
        TimeSpan delay = TimeSpan.FromSeconds(4);
        await using AuditWriter writer = Writer(delay);
        Project project = await host.CreateProjectAsync("Held batch");
        await GiveCompanyAsync(writer, project.Id);

        var held = Stopwatch.StartNew();
        await writer.WriteAsync([Record(project.Id)]);
        Assert.True(held.Elapsed >= delay, $"Committed after {held.Elapsed}, before the commit delay of {delay}");

        // That batch had one caller, so the next one is not held.
        await writer.WriteAsync([Record(project.Id)]).WaitAsync(delay - TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task DisposeAsync_DuringAHold_CommitsTheHeldRecordAtOnce()
    {
        AuditWriter writer = Writer(TimeSpan.FromSeconds(60));
        Project project = await host.CreateProjectAsync("Closed while held");
        await GiveCompanyAsync(writer, project.Id);
        long before = await CountAsync(project.Id);

        Task held = writer.WriteAsync([Record(project.Id)]);
        await Task.Delay(200);   // the writer is now holding the batch open
        await writer.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));

        await held;
        Assert.Equal(before + 1, await CountAsync(project.Id));
    }

    [Fact]
    public async Task DrainAsync_WritesEverythingQueued_AndRefusesWritesAfterTheStop()
    {
        // Arrange: one record taken by the writer and stuck behind the chain's lock, two more queued behind it
        AuditWriter writer = Writer(TimeSpan.Zero);
        Project project = await host.CreateProjectAsync("Drained at shutdown");
        long before = await CountAsync(project.Id);
        Task[] queued;
        Task<AuditDrainResult> draining;
        await using (await HoldChainLockAsync(project.Id))
        {
            queued = [writer.WriteAsync([Record(project.Id)])];
            await Task.Delay(300);
            queued = [.. queued, writer.WriteAsync([Record(project.Id), Record(project.Id)])];

            // Act
            draining = writer.DrainAsync(CancellationToken.None);
            await Task.Delay(200);

            // Assert: the drain waits for them, and a record that comes after the stop is refused at once
            Assert.False(draining.IsCompleted);
            await Assert.ThrowsAsync<AuditUnavailableException>(() => writer.WriteAsync([Record(project.Id)]));
        }

        AuditDrainResult drain = await draining.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(queued);
        Assert.Equal(new AuditDrainResult(3, 0, TimedOut: false), drain);
        Assert.Equal(before + 3, await CountAsync(project.Id));
        await writer.DisposeAsync();
    }

    [Fact]
    public async Task DrainAsync_WhenTheTimeoutFiresFirst_RefusesTheQueuedRecords_AndDisposalNoLongerWaits()
    {
        // Arrange
        AuditWriter writer = Writer(TimeSpan.Zero);
        Project project = await host.CreateProjectAsync("Drain timed out");
        long before = await CountAsync(project.Id);
        Task inFlight;
        await using (await HoldChainLockAsync(project.Id))
        {
            inFlight = writer.WriteAsync([Record(project.Id)]);
            await Task.Delay(300);
            Task queued = writer.WriteAsync([Record(project.Id), Record(project.Id)]);

            // Act
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            AuditDrainResult drain = await writer.DrainAsync(timeout.Token);

            // Assert: the queued records are refused (so are their operations), and shutdown goes on
            Assert.Equal(new AuditDrainResult(0, 2, TimedOut: true), drain);
            await Assert.ThrowsAsync<AuditUnavailableException>(() => queued);
            await writer.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        }

        // The batch already being written finishes on its own once the lock is free.
        await inFlight.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(before + 1, await CountAsync(project.Id));
    }

    [Fact]
    public async Task Metrics_CountCommitsTheRecordsTheyCarriedAndRefusedRecords()
    {
        using ServiceProvider metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meters = metrics.GetRequiredService<IMeterFactory>();
        var totals = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Meter.Name == AuditWriter.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        listener.Start();
        Project project = await host.CreateProjectAsync("Writer metrics");

        await using (AuditWriter writer = Writer(TimeSpan.Zero, meters))
        {
            AuditEvent once = Record(project.Id);
            await writer.WriteAsync([once]);
            await writer.WriteAsync([Record(project.Id)]);
            await writer.WriteAsync([Record(project.Id), Record(project.Id)]);
            await Assert.ThrowsAsync<AuditUnavailableException>(() => writer.WriteAsync([once]));
        }

        Assert.Equal(3, totals.GetValueOrDefault("kms.audit.commits"));
        Assert.Equal(4, totals.GetValueOrDefault("kms.audit.records.committed"));
        Assert.Equal(1, totals.GetValueOrDefault("kms.audit.records.refused"));
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData("", 0)]
    [InlineData("0", 0)]
    [InlineData("15", 15)]
    [InlineData("100", 100)]
    public void Settings_CommitDelayInWholeMilliseconds_OffByDefault(string? value, int expectedMilliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), SettingsHost.Get<AuditWriterSettings>(("Kms:Audit:CommitDelayMs", value)).CommitDelay);

    [Theory]
    [InlineData("-1")]
    [InlineData("101")]
    [InlineData("1.5")]
    [InlineData("2ms")]
    [InlineData(" 15")]
    public void Settings_NotAWholeNumberOfMillisecondsUpTo100_RefusesStartUp(string value)
    {
        string refusal = Assert.Single(SettingsHost.Failures(("Kms:Audit:CommitDelayMs", value)));
        Assert.Equal("Kms:Audit:CommitDelayMs must be a whole number of milliseconds from 0 to 100 (0 commits audit records without waiting for others).", refusal);
    }

    /// <summary>A writer of its own over the host's database, with <paramref name="commitDelay"/>.</summary>
    private AuditWriter Writer(TimeSpan commitDelay, IMeterFactory? meters = null) => new(
        host.Services.GetRequiredService<IDbContextFactory<KmsDbContext>>(), commitDelay,
        meters ?? host.Services.GetRequiredService<IMeterFactory>(), NullLogger<AuditWriter>.Instance);

    /// <summary>
    /// Another connection holding what a batch of <paramref name="projectId"/>'s chain must wait for (SQLite's
    /// write lock, or PostgreSQL's advisory lock on the chain) until it is disposed.
    /// </summary>
    private async Task<IAsyncDisposable> HoldChainLockAsync(Guid projectId)
    {
        StorageLocation storage = host.Services.GetRequiredService<StorageLocation>();
        DbConnection blocker = storage.IsPostgres ? new NpgsqlConnection(storage.ConnectionString) : new SqliteConnection(storage.ConnectionString);
        await blocker.OpenAsync();
        DbTransaction writeLock = await blocker.BeginTransactionAsync();   // SQLite: BEGIN IMMEDIATE
        if (storage.IsPostgres)
        {
            await using DbCommand chainLock = blocker.CreateCommand();
            chainLock.Transaction = writeLock;
            chainLock.CommandText = $"SELECT pg_advisory_xact_lock({(int)LockScope.AuditChain}, {KmsDatabase.LockKey(projectId)})";
            await chainLock.ExecuteNonQueryAsync();
        }

        return new Held(blocker, writeLock);
    }

    /// <summary>
    /// Ends with a batch of several callers: while another connection holds the chain's lock (SQLite's write
    /// lock, or PostgreSQL's advisory lock on the chain), the writer takes a first record and waits for the
    /// lock, and two more callers queue behind it, to share a batch.
    /// </summary>
    private async Task GiveCompanyAsync(AuditWriter writer, Guid projectId)
    {
        Task[] writes;
        await using (await HoldChainLockAsync(projectId))
        {
            Task first = writer.WriteAsync([Record(projectId)]);
            await Task.Delay(300);
            writes = [first, writer.WriteAsync([Record(projectId)]), writer.WriteAsync([Record(projectId)])];
            Assert.DoesNotContain(writes, w => w.IsCompleted);
        }

        await Task.WhenAll(writes);
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
        command.CommandText = """SELECT * FROM "AuditEvents" WHERE "Id" = @id""";
        DbParameter parameter = command.CreateParameter();
        parameter.ParameterName = "@id";
        parameter.Value = db.Database.IsPostgres() ? id : id.ToString().ToUpperInvariant();   // SQLite: EF's upper-case text
        command.Parameters.Add(parameter);
        await using DbDataReader reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"No row whose Id is stored in EF's form of {id}");
        return Enumerable.Range(0, reader.FieldCount).ToDictionary(
            reader.GetName,
            i => reader.IsDBNull(i) ? ("null", null) : (reader.GetValue(i).GetType().Name, reader.GetValue(i)));
    }

    private sealed class Held(DbConnection connection, DbTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();   // rolled back: the lock is free again
            await connection.DisposeAsync();
        }
    }
}
