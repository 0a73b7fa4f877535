using InfisicalKms.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>
/// The services one start of the server would have (<c>AddKmsCore</c>), without the web tier: every Core test
/// host builds its "processes" here, over a <see cref="TestDatabase"/> of either provider. Configuration is
/// in-memory only, so the test runner's environment never leaks in. Several providers over one database stand
/// for several server processes.
/// </summary>
public static class CoreProcess
{
    /// <param name="settings">The environment variables of this start (root key, HSM, cache settings); they win over the database's.</param>
    /// <param name="configure">Replaces services (a fake clock, a capturing logger) before the provider is built.</param>
    public static ServiceProvider Build(
        TestDatabase database, string dataDirectory, IEnumerable<KeyValuePair<string, string?>>? settings = null,
        string environmentName = "Production", Action<IServiceCollection>? configure = null, ILoggerProvider? logs = null)
    {
        var values = new Dictionary<string, string?>(database.Settings);
        foreach ((string key, string? value) in settings ?? [])
        {
            values[key] = value;
        }

        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            if (logs is not null)
            {
                logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs);
            }
        });
        services.AddKmsCore(configuration, new TestHostEnvironment(environmentName, dataDirectory));
        configure?.Invoke(services);
        return services.BuildServiceProvider();
    }

    /// <summary><see cref="Build"/>, then migrations and the root key, as start-up does.</summary>
    public static async Task<ServiceProvider> StartAsync(
        TestDatabase database, string dataDirectory, IEnumerable<KeyValuePair<string, string?>>? settings = null,
        Action<IServiceCollection>? configure = null)
    {
        ServiceProvider provider = Build(database, dataDirectory, settings, configure: configure);
        await provider.InitializeKmsAsync(CancellationToken.None);
        return provider;
    }

    /// <summary>Deletes a test's temporary folder; a file still held open goes with the temp folder later.</summary>
    public static void DeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Never fail a test run on clean-up.
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
