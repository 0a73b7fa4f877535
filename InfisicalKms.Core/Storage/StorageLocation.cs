using Microsoft.Data.Sqlite;

namespace InfisicalKms.Core.Storage;

/// <summary>The database connection string with a relative SQLite path made absolute, and its directory.</summary>
public sealed record StorageLocation(string ConnectionString, string DataDirectory)
{
    /// <summary>Resolves a relative path against the working directory and creates the directory.</summary>
    /// <remarks>The data directory also holds the development key file (spec §11.6).</remarks>
    public static StorageLocation From(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DataSource is not { Length: > 0 } source || source == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            return new StorageLocation(connectionString, Path.GetFullPath("data"));
        }

        string path = Path.GetFullPath(source);
        string directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        builder.DataSource = path;
        return new StorageLocation(builder.ToString(), directory);
    }
}
