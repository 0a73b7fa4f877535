using InfisicalKms.Core.Caching;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace InfisicalKms.Tests.Core.Caching;

/// <summary>
/// Issue #13: changes made by another process on the same database, which this process's invalidator never
/// sees, move the change stamps in the same transaction, and the watcher raises the scopes they affect.
/// </summary>
/// <remarks>SQLite only: the stamps table and its triggers are SQLite's; PostgreSQL notifies instead (OutsideChangeTests and the multi-instance tests cover it).</remarks>
[Trait("Category", "SqliteOnly")]
public sealed class CacheStampTests : IAsyncLifetime
{
    private readonly CoreTestHost _host = new();

    [Fact]
    public async Task EveryTableACacheReads_HasUpdateAndDeleteTriggers()
    {
        // Arrange
        IEnumerable<string> cached = CacheInvalidator.Tables
            .Where(t => t.Value != CacheScopes.None && !t.Key.StartsWith("__", StringComparison.Ordinal))
            .Select(t => t.Key);

        // Act
        List<string> triggers = [];
        await using (SqliteConnection connection = await OpenOutsideAsync())
        {
            await using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'trigger'";
            await using SqliteDataReader reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                triggers.Add(reader.GetString(0));
            }
        }

        // Assert
        Assert.All(cached, table =>
        {
            Assert.Contains($"CacheStamp_{table}_Update", triggers);
            Assert.Contains($"CacheStamp_{table}_Delete", triggers);
        });
    }

    [Fact]
    public async Task KeyDisabledByAnotherProcess_RaisesTheKeyScopeOnly()
    {
        // Arrange: the watcher knows the stamps
        KmsKey key = await _host.SharedKeyAsync(KeyAlgorithm.Aes256Gcm);
        var generations = _host.Services.GetRequiredService<CacheGenerations>();
        var watcher = _host.Services.GetRequiredService<CacheStampWatcher>();
        await watcher.PollAsync(CancellationToken.None);
        (long tokens, long roles, long keys) = Generations(generations);

        // Act
        await ExecuteOutsideAsync("""UPDATE "Keys" SET "IsDisabled" = 1 WHERE "Id" = $id""", key.Id);
        await watcher.PollAsync(CancellationToken.None);

        // Assert
        Assert.Equal((tokens, roles), (generations.Current(CacheScopes.Tokens), generations.Current(CacheScopes.Roles)));
        Assert.True(generations.Current(CacheScopes.Keys) > keys);
    }

    [Fact]
    public async Task KeyDeletedByAnotherProcess_AlsoReportsKeysDeleted()
    {
        // Arrange
        KmsKey key = await _host.CreateKeyAsync(_host.Project, "deleted-outside", KeyAlgorithm.Aes256Gcm);
        var generations = _host.Services.GetRequiredService<CacheGenerations>();
        var watcher = _host.Services.GetRequiredService<CacheStampWatcher>();
        await watcher.PollAsync(CancellationToken.None);
        int deletions = 0;
        generations.KeysDeleted += () => deletions++;

        // Act
        await ExecuteOutsideAsync("""DELETE FROM "Keys" WHERE "Id" = $id""", key.Id);
        await watcher.PollAsync(CancellationToken.None);

        // Assert
        Assert.Equal(1, deletions);
    }

    [Fact]
    public async Task NothingChanged_RaisesNothing()
    {
        // Arrange
        var generations = _host.Services.GetRequiredService<CacheGenerations>();
        var watcher = _host.Services.GetRequiredService<CacheStampWatcher>();
        await watcher.PollAsync(CancellationToken.None);
        var before = Generations(generations);

        // Act: an audit record and a new key change no cached row
        await _host.CreateKeyAsync(_host.Project, "new-key", KeyAlgorithm.Aes256Gcm);
        await watcher.PollAsync(CancellationToken.None);

        // Assert
        Assert.Equal(before, Generations(generations));
    }

    [Fact]
    public async Task StampsThatCannotBeRead_DropEveryEntry()
    {
        // Arrange: a database without the stamps table
        string path = Path.Combine(Path.GetTempPath(), $"kms-no-stamps-{Guid.NewGuid():N}.db");
        var generations = new CacheGenerations();
        var watcher = new CacheStampWatcher(new Factory($"Data Source={path};Pooling=False"), StorageLocation.Sqlite($"Data Source={path}"), generations,
            KmsCacheSettings.Default, TimeProvider.System, NullLogger<CacheStampWatcher>.Instance);
        var before = Generations(generations);

        try
        {
            // Act
            await watcher.PollAsync(CancellationToken.None);

            // Assert
            var after = Generations(generations);
            Assert.True(after.Tokens > before.Tokens && after.Roles > before.Roles && after.Keys > before.Keys);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private static (long Tokens, long Roles, long Keys) Generations(CacheGenerations generations) =>
        (generations.Current(CacheScopes.Tokens), generations.Current(CacheScopes.Roles), generations.Current(CacheScopes.Keys));

    private async Task<SqliteConnection> OpenOutsideAsync()
    {
        var builder = new SqliteConnectionStringBuilder(_host.Services.GetRequiredService<StorageLocation>().ConnectionString) { Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync();
        return connection;
    }

    // A connection of its own, past EF Core and its interceptor, as another instance or manual SQL would be.
    private async Task ExecuteOutsideAsync(string sql, Guid id)
    {
        await using SqliteConnection connection = await OpenOutsideAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id.ToString().ToUpperInvariant());
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    private sealed class Factory(string connectionString) : IDbContextFactory<KmsDbContext>
    {
        public KmsDbContext CreateDbContext() =>
            new(new DbContextOptionsBuilder<KmsDbContext>().UseSqlite(connectionString).Options);
    }
}
