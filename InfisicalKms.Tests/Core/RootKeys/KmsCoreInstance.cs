using InfisicalKms.Core.RootKeys;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace InfisicalKms.Tests.Core.RootKeys;

/// <summary>
/// A temporary data directory and one database of the run's provider, and real Core service providers over
/// them (<see cref="CoreProcess"/>, one per simulated process start).
/// </summary>
public sealed class KmsCoreInstance : IDisposable
{
    public KmsCoreInstance()
    {
        Directory.CreateDirectory(DataDirectory);
        Database = TestDatabase.Create(DataDirectory);
    }

    public TestDatabase Database { get; }

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "kms-rootkey-" + Guid.NewGuid().ToString("N"));

    public string DatabasePath => Path.Combine(DataDirectory, "kms.db");

    public string DevKeyFilePath => Path.Combine(DataDirectory, RootKeySettings.DevKeyFileName);

    /// <summary>Builds the services one start of the server would have; <paramref name="settings"/> are the environment variables.</summary>
    public ServiceProvider CreateProvider(string environmentName, CapturingLoggerProvider logs, IDictionary<string, string?>? settings = null) =>
        CoreProcess.Build(Database, DataDirectory, settings, environmentName, logs: logs);

    /// <summary>The stored root key rows, read with a provider of its own.</summary>
    public async Task<List<RootKeyRecord>> RootKeyRowsAsync(CancellationToken ct)
    {
        await using ServiceProvider provider = CreateProvider(Environments.Production, new CapturingLoggerProvider());
        IDbContextFactory<KmsDbContext> factory = provider.GetRequiredService<IDbContextFactory<KmsDbContext>>();
        await using KmsDbContext db = await factory.CreateDbContextAsync(ct);
        return await db.RootKeys.AsNoTracking().ToListAsync(ct);
    }

    public void Dispose()
    {
        Database.Dispose();
        CoreProcess.DeleteDirectory(DataDirectory);
    }
}
