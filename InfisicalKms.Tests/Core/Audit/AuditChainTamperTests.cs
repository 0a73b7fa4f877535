using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Audit;

/// <summary>
/// Chain verification (spec §10.7.2) against someone who can write to the database: every edit, removal,
/// reordering or insertion of records is reported at the first record it breaks, with the number of good records
/// before it and a reason; the organization chain is verified the same way; chains are independent of each other.
/// </summary>
/// <remarks>SQLite only: it tampers with records through SQLite's own SQL and file. Verification reads rows through EF Core on either provider; the multi-instance tests verify chains on PostgreSQL.</remarks>
[Trait("Category", "SqliteOnly")]
public sealed class AuditChainTamperTests(CoreTestHost core) : IClassFixture<CoreTestHost>
{
    private const string Modified = "Its contents do not match its hash: the record was modified.";
    private const string Unlinked = "Its prevHash does not match the hash of the record before it.";
    private const string OutOfPlace = "A record before it is missing or out of place.";
    private const string NewestMissing = "The newest records of the chain are missing.";

    /// <summary>A column of the record at index 4 and the SQL value it is set to.</summary>
    public static TheoryData<string, string, string> FieldEdits => new()
    {
        { "Id", "'00000000-0000-7000-8000-000000000001'", Modified },
        { "EventType", "'cmek-decrypt'", Modified },
        { "ActorType", "'identity'", Modified },
        { "ActorId", "NULL", Modified },
        { "ActorName", "'mallory@example.com'", Modified },
        { "ProjectId", "NULL", Modified },
        { "KeyId", "NULL", Modified },
        { "IpAddress", "'198.51.100.1'", Modified },
        { "UserAgent", "'curl/8.0'", Modified },
        { "Outcome", "'failure'", Modified },
        { "Metadata", "'{\"keyVersion\":\"2\"}'", Modified },
        { "Metadata", "'{}'", Modified },
        { "CreatedAt", "replace(CreatedAt, '20', '19')", Modified },
        { "Hash", "(SELECT Hash FROM AuditEvents WHERE ChainIndex = 3 AND upper(ChainId) = upper($chain))", Modified },
        { "PrevHash", "'" + new string('0', 64) + "'", Unlinked },
    };

    [Fact]
    public async Task Verify_UntouchedChains_AreValidWithEveryRecordChecked()
    {
        Chain chain = await ChainAsync();

        AuditChainReport project = await VerifyAsync(chain);
        AuditChainReport organization = await Audits.VerifyOrganizationAsync(core.AdminActor, CancellationToken.None);

        Assert.Equal(AuditChainReport.Intact(6), project);
        Assert.Equal(AuditChainReport.Intact((await RecordsAsync(core.Organization.Id)).Count), organization);
    }

    [Theory]
    [MemberData(nameof(FieldEdits))]
    public async Task Verify_FieldOfMiddleRecordEdited_ReportsThatRecord(string column, string value, string problem)
    {
        Chain chain = await ChainAsync();

        await SqlAsync($"UPDATE AuditEvents SET {column} = {value} WHERE upper(ChainId) = upper($chain) AND ChainIndex = 4", chain.Id);

        Guid edited = (await RecordsAsync(chain.Id))[3].Id;
        Assert.Equal(new AuditChainReport(false, 3, edited, problem), await VerifyAsync(chain));
    }

    [Fact]
    public async Task Verify_RecordEditedAndRehashed_ReportsTheRecordAfterIt()
    {
        Chain chain = await ChainAsync();
        AuditEvent forged = (await RecordsAsync(chain.Id))[3];
        forged.ActorName = "mallory@example.com";

        await SqlAsync("UPDATE AuditEvents SET ActorName = $name, Hash = $hash WHERE upper(ChainId) = upper($chain) AND ChainIndex = 4",
            chain.Id, ("$name", forged.ActorName), ("$hash", AuditHash.Compute(forged)));

        Assert.Equal(new AuditChainReport(false, 4, chain.Records[4].Id, Unlinked), await VerifyAsync(chain));
    }

    [Fact]
    public async Task Verify_MiddleRecordDeleted_ReportsTheRecordAfterTheGap()
    {
        Chain chain = await ChainAsync();

        await SqlAsync("DELETE FROM AuditEvents WHERE upper(ChainId) = upper($chain) AND ChainIndex = 4", chain.Id);

        Assert.Equal(new AuditChainReport(false, 3, chain.Records[4].Id, OutOfPlace), await VerifyAsync(chain));
    }

    [Fact]
    public async Task Verify_FirstRecordDeleted_ReportsTheSecond()
    {
        Chain chain = await ChainAsync();

        await SqlAsync("DELETE FROM AuditEvents WHERE upper(ChainId) = upper($chain) AND ChainIndex = 1", chain.Id);

        Assert.Equal(new AuditChainReport(false, 0, chain.Records[1].Id, OutOfPlace), await VerifyAsync(chain));
    }

    [Fact]
    public async Task Verify_TwoRecordsSwapped_ReportsTheOneMovedForward()
    {
        Chain chain = await ChainAsync();

        await SwapAsync(chain.Id, 4, 5);

        Assert.Equal(new AuditChainReport(false, 3, chain.Records[4].Id, Unlinked), await VerifyAsync(chain));
    }

    [Fact]
    public async Task Verify_WellFormedRecordInsertedInTheMiddle_ReportsTheRecordItDisplaced()
    {
        Chain chain = await ChainAsync();

        // The forgery links to record 3 and carries a correct hash; records 4 onwards move up one place.
        await SqlAsync("UPDATE AuditEvents SET ChainIndex = -ChainIndex WHERE upper(ChainId) = upper($chain) AND ChainIndex >= 4", chain.Id);
        await SqlAsync("UPDATE AuditEvents SET ChainIndex = 1 - ChainIndex WHERE upper(ChainId) = upper($chain) AND ChainIndex < 0", chain.Id);
        await InsertForgedAsync(chain, index: 4, prevHash: chain.Records[2].Hash);

        Assert.Equal(new AuditChainReport(false, 4, chain.Records[3].Id, Unlinked), await VerifyAsync(chain));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Verify_NewestRecordsDeleted_InvalidThroughTheChainHead(int removed)
    {
        Chain chain = await ChainAsync();

        await SqlAsync("DELETE FROM AuditEvents WHERE upper(ChainId) = upper($chain) AND ChainIndex > $keep", chain.Id, ("$keep", 6 - removed));

        Assert.Equal(new AuditChainReport(false, 6 - removed, null, NewestMissing), await VerifyAsync(chain));
    }

    [Fact]
    public async Task Verify_ChainHeadDeleted_IsInvalid()
    {
        Chain chain = await ChainAsync();

        await SqlAsync("DELETE FROM AuditChainHeads WHERE upper(ChainId) = upper($chain)", chain.Id);

        Assert.Equal(new AuditChainReport(false, 0, null, "The chain's head record is missing."), await VerifyAsync(chain));
    }

    [Fact]
    public async Task Verify_WellFormedRecordAppendedBeyondTheHead_ReportsIt()
    {
        Chain chain = await ChainAsync();

        Guid forged = await InsertForgedAsync(chain, index: 7, prevHash: chain.Records[5].Hash);

        Assert.Equal(new AuditChainReport(false, 6, forged, "It lies beyond the chain's head: it was not written by the audit log."), await VerifyAsync(chain));
    }

    [Fact]
    public async Task Verify_RecordAppendedWhileTheChainIsWalked_StaysValid()
    {
        Chain chain = await ChainAsync();
        var interceptor = new BeforeFirstRecordQuery(() => core.Crypto.EncryptAsync(core.AdminActor, chain.KeyId, [4, 2], null, CancellationToken.None));
        DbContextOptions<KmsDbContext> options = new DbContextOptionsBuilder<KmsDbContext>()
            .UseSqlite(core.Services.GetRequiredService<StorageLocation>().ConnectionString).AddInterceptors(interceptor).Options;
        await using var db = new KmsDbContext(options);

        AuditChainReport report = await AuditLogService.VerifyChainAsync(db, chain.Id, CancellationToken.None);

        Assert.True(interceptor.Appended);
        Assert.Equal(AuditChainReport.Intact(6), report);   // the chain as its head stood when the walk began
        Assert.Equal(AuditChainReport.Intact(7), await VerifyAsync(chain));
    }

    [Fact]
    public async Task Verify_AnotherChainTampered_ThisChainStaysValid()
    {
        Chain tampered = await ChainAsync();
        Chain intact = await ChainAsync();

        await SqlAsync("UPDATE AuditEvents SET Outcome = 'failure' WHERE upper(ChainId) = upper($chain) AND ChainIndex = 2", tampered.Id);
        await SqlAsync("DELETE FROM AuditEvents WHERE upper(ChainId) = upper($chain) AND ChainIndex = 6", tampered.Id);

        Assert.False((await VerifyAsync(tampered)).Valid);
        Assert.Equal(AuditChainReport.Intact(6), await VerifyAsync(intact));
    }

    [Fact]
    public async Task VerifyOrganization_RecordEdited_ReportsItAndProjectChainsStayValid()
    {
        Chain chain = await ChainAsync();
        CoreTestHost other = new();
        await other.InitializeAsync();
        try
        {
            // An instance of its own, so that tampering with its organization chain leaves the shared one intact.
            List<AuditEvent> records = await RecordsAsync(other.Organization.Id, other);
            Assert.Equal("bootstrap-instance", records[0].EventType);
            await SqlOnAsync(other, "UPDATE AuditEvents SET ActorName = 'mallory@example.com' WHERE upper(ChainId) = upper($chain) AND ChainIndex = 1",
                other.Organization.Id);

            AuditChainReport report = await other.Services.GetRequiredService<AuditLogService>().VerifyOrganizationAsync(other.AdminActor, CancellationToken.None);

            Assert.Equal(new AuditChainReport(false, 0, records[0].Id, Modified), report);
            Assert.Equal(AuditChainReport.Intact(6), await VerifyAsync(chain));
        }
        finally
        {
            await other.DisposeAsync();
        }
    }

    private AuditLogService Audits => core.Services.GetRequiredService<AuditLogService>();

    private Task<AuditChainReport> VerifyAsync(Chain chain) => Audits.VerifyAsync(core.AdminActor, chain.Id.ToString(), CancellationToken.None);

    /// <summary>A project chain of six records: create-project, create-cmek, then four cmek-encrypt.</summary>
    private async Task<Chain> ChainAsync()
    {
        Project project = await core.CreateProjectAsync("Tamper " + Guid.NewGuid().ToString("N")[..8]);
        KmsKey key = await core.CreateKeyAsync(project, "k-" + Guid.NewGuid().ToString("N")[..12], KeyAlgorithm.Aes256Gcm);
        for (int i = 0; i < 4; i++)
        {
            await core.Crypto.EncryptAsync(core.AdminActor, key.Id, [(byte)i], null, CancellationToken.None);
        }

        List<AuditEvent> records = await RecordsAsync(project.Id);
        Assert.Equal(["create-project", "create-cmek", "cmek-encrypt", "cmek-encrypt", "cmek-encrypt", "cmek-encrypt"], records.Select(r => r.EventType));
        return new Chain(project.Id, key.Id, records);
    }

    private async Task<List<AuditEvent>> RecordsAsync(Guid chainId, CoreTestHost? host = null)
    {
        await using KmsDbContext db = await (host ?? core).Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        return await db.AuditEvents.AsNoTracking().Where(e => e.ChainId == chainId).OrderBy(e => e.ChainIndex).ToListAsync();
    }

    /// <summary>Exchanges the chain positions of two records (through a free index: (chain, index) is unique).</summary>
    private async Task SwapAsync(Guid chainId, int a, int b)
    {
        const string Move = "UPDATE AuditEvents SET ChainIndex = $to WHERE upper(ChainId) = upper($chain) AND ChainIndex = $from";
        await SqlAsync(Move, chainId, ("$from", a), ("$to", -1));
        await SqlAsync(Move, chainId, ("$from", b), ("$to", a));
        await SqlAsync(Move, chainId, ("$from", -1), ("$to", b));
    }

    /// <summary>Inserts a copy of the chain's last record under a new ID, linked to <paramref name="prevHash"/> with a correct hash.</summary>
    private async Task<Guid> InsertForgedAsync(Chain chain, long index, string prevHash)
    {
        AuditEvent forged = (await RecordsAsync(chain.Id))[^1];
        Guid source = forged.Id;
        forged.Id = Guid.CreateVersion7();
        forged.ActorName = "mallory@example.com";
        forged.PrevHash = prevHash;
        forged.Hash = AuditHash.Compute(forged);
        await SqlAsync(
            """
            INSERT INTO AuditEvents (Id, OrganizationId, ChainId, ChainIndex, EventType, ActorType, ActorId, ActorName, ProjectId, KeyId,
                                     IpAddress, UserAgent, Outcome, Metadata, CreatedAt, Hash, PrevHash)
            SELECT $id, OrganizationId, ChainId, $index, EventType, ActorType, ActorId, $name, ProjectId, KeyId,
                   IpAddress, UserAgent, Outcome, Metadata, CreatedAt, $hash, $prev
            FROM AuditEvents WHERE upper(Id) = upper($source)
            """,
            chain.Id, ("$id", forged.Id.ToString().ToUpperInvariant()), ("$index", index), ("$name", forged.ActorName), ("$hash", forged.Hash),
            ("$prev", prevHash), ("$source", source.ToString()));
        return forged.Id;
    }

    private Task SqlAsync(string sql, Guid chainId, params (string Name, object Value)[] parameters) => SqlOnAsync(core, sql, chainId, parameters);

    /// <summary>Runs SQL on the host's database file over a connection of its own; <c>$chain</c> is the chain's ID.</summary>
    private static async Task SqlOnAsync(CoreTestHost host, string sql, Guid chainId, params (string Name, object Value)[] parameters)
    {
        var builder = new SqliteConnectionStringBuilder(host.Services.GetRequiredService<StorageLocation>().ConnectionString) { Pooling = false };
        await using var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$chain", chainId.ToString());
        foreach ((string name, object value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        Assert.True(await command.ExecuteNonQueryAsync() > 0, $"the tampering changed nothing: {sql}");
    }

    private sealed record Chain(Guid Id, Guid KeyId, List<AuditEvent> Records);

    /// <summary>Runs an append on another connection once, just before the first query of the <c>AuditEvents</c> table.</summary>
    private sealed class BeforeFirstRecordQuery(Func<Task> append) : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
    {
        public bool Appended { get; private set; }

        public override async ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(
            System.Data.Common.DbCommand command, Microsoft.EntityFrameworkCore.Diagnostics.CommandEventData eventData,
            Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (!Appended && command.CommandText.Contains("FROM \"AuditEvents\"", StringComparison.Ordinal))
            {
                Appended = true;
                await append();
            }

            return result;
        }
    }
}
