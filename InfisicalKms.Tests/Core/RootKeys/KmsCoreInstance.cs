using InfisicalKms.Core;
using InfisicalKms.Core.RootKeys;
using InfisicalKms.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Tests.Core.RootKeys;

/// <summary>
/// A temporary data directory holding one SQLite file, and real Core service providers over it (one per
/// simulated process start). Configuration is in-memory only, so the test runner's environment never leaks in.
/// </summary>
public sealed class KmsCoreInstance : IDisposable
{
    public KmsCoreInstance()
    {
        Directory.CreateDirectory(DataDirectory);
    }

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "kms-rootkey-" + Guid.NewGuid().ToString("N"));

    public string DatabasePath => Path.Combine(DataDirectory, "kms.db");

    public string DevKeyFilePath => Path.Combine(DataDirectory, RootKeySettings.DevKeyFileName);

    /// <summary>Builds the services one start of the server would have; <paramref name="settings"/> are the environment variables.</summary>
    public ServiceProvider CreateProvider(string environmentName, CapturingLoggerProvider logs, IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?> { ["ConnectionStrings:Kms"] = $"Data Source={DatabasePath}" };
        foreach ((string key, string? value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddKmsCore(configuration, new TestHostEnvironment(environmentName, DataDirectory));
        return services.BuildServiceProvider();
    }

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
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open goes with the temp folder later; never fail a test on clean-up.
        }
    }

    private sealed class TestHostEnvironment(string environmentName, string contentRoot) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = environmentName;

        public string ApplicationName { get; set; } = "InfisicalKms.Tests";

        public string ContentRootPath { get; set; } = contentRoot;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
