using System.Data.Common;
using InfisicalKms.Core.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>
/// The database under a test host or server process: a fresh SQLite file in the host's folder, or a fresh
/// database on the run's PostgreSQL server (<see cref="PostgresServer"/>). Every host and launcher gets its
/// database here, so the provider is one parameter: <c>KMS_TEST_PROVIDER=Postgres</c> runs the same suites on
/// PostgreSQL (<c>./test.sh</c> does both), and a test that needs one provider names it.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable, IDisposable
{
    private TestDatabase(DatabaseProvider provider, string connectionString, string? sqlitePath)
    {
        Provider = provider;
        ConnectionString = connectionString;
        SqlitePath = sqlitePath;
    }

    /// <summary>The provider the run was asked for (<c>KMS_TEST_PROVIDER</c>, SQLite by default).</summary>
    public static DatabaseProvider RunProvider { get; } =
        string.Equals(Environment.GetEnvironmentVariable("KMS_TEST_PROVIDER"), "Postgres", StringComparison.OrdinalIgnoreCase)
            ? DatabaseProvider.Postgres
            : DatabaseProvider.Sqlite;

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    /// <summary>The SQLite file; null on PostgreSQL.</summary>
    public string? SqlitePath { get; }

    public bool IsPostgres => Provider == DatabaseProvider.Postgres;

    /// <summary>The server's settings for this database (configuration keys).</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        [StorageLocation.ProviderKey] = Provider.ToString(),
        [StorageLocation.ConnectionStringKey] = ConnectionString,
    };

    /// <summary>The same settings as environment variables, for a server process.</summary>
    public IReadOnlyDictionary<string, string> EnvironmentVariables => new Dictionary<string, string>
    {
        ["Kms__Database__Provider"] = Provider.ToString(),
        ["ConnectionStrings__Kms"] = ConnectionString,
    };

    /// <summary>A fresh database of the run's provider; an SQLite file is <c>kms.db</c> in <paramref name="directory"/>.</summary>
    public static Task<TestDatabase> CreateAsync(string directory) => CreateAsync(RunProvider, directory);

    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider, string directory)
    {
        if (provider == DatabaseProvider.Postgres)
        {
            PostgresServer server = await PostgresServer.GetAsync();
            return new TestDatabase(provider, await server.CreateDatabaseAsync(), sqlitePath: null);
        }

        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, "kms.db");
        return new TestDatabase(provider, $"Data Source={path}", path);
    }

    /// <summary>For a synchronous constructor (a test host that cannot await).</summary>
    public static TestDatabase Create(string directory) => Task.Run(() => CreateAsync(directory)).GetAwaiter().GetResult();

    /// <summary>A connection of its own (no pool), as another process or instance would have.</summary>
    public async Task<DbConnection> OpenConnectionAsync()
    {
        DbConnection connection = IsPostgres
            ? new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString)
            : new SqliteConnection(new SqliteConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>
    /// Runs SQL on a connection of its own; <c>@p0</c>, <c>@p1</c>… are bound in each provider's stored form
    /// (on SQLite a <see cref="Guid"/> is upper-case text and a <see cref="bool"/> is 0 or 1, as EF Core stores them).
    /// </summary>
    public async Task<int> ExecuteAsync(string sql, params object[] values)
    {
        await using DbConnection connection = await OpenConnectionAsync();
        await using DbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        for (int i = 0; i < values.Length; i++)
        {
            DbParameter parameter = command.CreateParameter();
            parameter.ParameterName = $"@p{i}";
            parameter.Value = (IsPostgres, values[i]) switch
            {
                (false, Guid g) => g.ToString().ToUpperInvariant(),
                (false, bool b) => b ? 1 : 0,
                (_, var v) => v,
            };
            command.Parameters.Add(parameter);
        }

        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>For a synchronous dispose.</summary>
    public void Dispose() => Task.Run(async () => await DisposeAsync()).GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (IsPostgres)
        {
            await (await PostgresServer.GetAsync()).DropDatabaseAsync(ConnectionString);
        }
        else
        {
            SqliteConnection.ClearAllPools();
        }
    }
}
