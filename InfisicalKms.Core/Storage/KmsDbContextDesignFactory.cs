using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace InfisicalKms.Core.Storage;

/// <summary>
/// Lets <c>dotnet ef</c> build the model without starting the server (and without a root key). It builds
/// SQLite's migrations, or PostgreSQL's when <c>KMS_DESIGN_PROVIDER=Postgres</c> (no server is contacted).
/// </summary>
internal sealed class KmsDbContextDesignFactory : IDesignTimeDbContextFactory<KmsDbContext>
{
    public KmsDbContext CreateDbContext(string[] args)
    {
        StorageLocation location = string.Equals(Environment.GetEnvironmentVariable("KMS_DESIGN_PROVIDER"), "Postgres", StringComparison.OrdinalIgnoreCase)
            ? new StorageLocation(DatabaseProvider.Postgres, "Host=localhost;Database=design", "data")
            : new StorageLocation(DatabaseProvider.Sqlite, "Data Source=design.db", "data");
        var options = new DbContextOptionsBuilder<KmsDbContext>();
        options.UseKmsDatabase(location);
        return new KmsDbContext(options.Options);
    }
}
