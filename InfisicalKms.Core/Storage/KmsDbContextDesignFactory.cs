using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace InfisicalKms.Core.Storage;

/// <summary>Lets <c>dotnet ef</c> build the model without starting the server (and without a root key).</summary>
internal sealed class KmsDbContextDesignFactory : IDesignTimeDbContextFactory<KmsDbContext>
{
    public KmsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<KmsDbContext>().UseSqlite("Data Source=design.db").Options);
}
