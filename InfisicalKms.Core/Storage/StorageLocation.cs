using InfisicalKms.Core.RootKeys;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace InfisicalKms.Core.Storage;

/// <summary>Which database holds the instance (<c>Kms:Database:Provider</c>).</summary>
public enum DatabaseProvider
{
    /// <summary>An embedded SQLite file: the default, one process.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server: one or several instances.</summary>
    Postgres,
}

/// <summary>
/// The database: its provider, its connection string (a relative SQLite path made absolute) and the data
/// directory (the SQLite file's folder; it also holds the development key file, spec §11.6).
/// </summary>
public sealed record StorageLocation(DatabaseProvider Provider, string ConnectionString, string DataDirectory)
{
    public const string ProviderKey = "Kms:Database:Provider";

    public const string ConnectionStringKey = "ConnectionStrings:Kms";

    public const string DefaultSqliteConnectionString = "Data Source=data/kms.db";

    public bool IsPostgres => Provider == DatabaseProvider.Postgres;

    /// <summary>The provider and data directory only: the connection string may hold a password.</summary>
    public override string ToString() => $"{Provider} database (data directory {DataDirectory})";

    /// <summary>Reads <c>Kms:Database:Provider</c> and <c>ConnectionStrings:Kms</c>.</summary>
    /// <exception cref="RootKeyConfigurationException">A start-up refusal naming the setting at fault.</exception>
    public static StorageLocation From(IConfiguration configuration) =>
        From(ParseProvider(configuration[ProviderKey]), configuration.GetConnectionString("Kms"));

    /// <exception cref="RootKeyConfigurationException">A start-up refusal naming the setting at fault.</exception>
    public static StorageLocation From(DatabaseProvider provider, string? connectionString) => provider switch
    {
        DatabaseProvider.Postgres => Postgres(connectionString),
        _ => Sqlite(connectionString ?? DefaultSqliteConnectionString),
    };

    /// <summary>An SQLite location; a relative path resolves against the working directory, whose folder is created.</summary>
    /// <param name="setting">Named in a refusal: the setting the connection string came from.</param>
    public static StorageLocation Sqlite(string connectionString, string setting = ConnectionStringKey)
    {
        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new RootKeyConfigurationException($"{setting} is not a valid SQLite connection string: {e.Message}");
        }

        if (builder.DataSource is not { Length: > 0 } source || source == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            return new StorageLocation(DatabaseProvider.Sqlite, connectionString, Path.GetFullPath("data"));
        }

        string path = Path.GetFullPath(source);
        string directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        builder.DataSource = path;
        return new StorageLocation(DatabaseProvider.Sqlite, builder.ToString(), directory);
    }

    /// <summary>A PostgreSQL location; the connection string must name a host and a database.</summary>
    /// <remarks>The data directory is <c>data</c> under the working directory, used only for a development key file.</remarks>
    /// <param name="setting">Named in a refusal: the setting the connection string came from.</param>
    public static StorageLocation Postgres(string? connectionString, string setting = ConnectionStringKey)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new RootKeyConfigurationException(
                $"{ProviderKey} is Postgres, so {setting} must be set (e.g. \"Host=db.internal;Database=kms;Username=kms;Password=...\").");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            // The parser's message names the keyword at fault, never its value, so no password is repeated.
            throw new RootKeyConfigurationException($"{setting} is not a valid PostgreSQL connection string: {e.Message}");
        }

        if (string.IsNullOrWhiteSpace(builder.Host) || string.IsNullOrWhiteSpace(builder.Database))
        {
            throw new RootKeyConfigurationException($"{setting} must name a Host and a Database for PostgreSQL.");
        }

        return new StorageLocation(DatabaseProvider.Postgres, connectionString, Path.GetFullPath("data"));
    }

    private static DatabaseProvider ParseProvider(string? value) => value?.Trim() switch
    {
        null or "" => DatabaseProvider.Sqlite,
        var v when v.Equals("Sqlite", StringComparison.OrdinalIgnoreCase) => DatabaseProvider.Sqlite,
        var v when v.Equals("Postgres", StringComparison.OrdinalIgnoreCase) || v.Equals("PostgreSQL", StringComparison.OrdinalIgnoreCase)
            => DatabaseProvider.Postgres,
        _ => throw new RootKeyConfigurationException($"{ProviderKey} must be Sqlite or Postgres, not \"{value}\"."),
    };
}
