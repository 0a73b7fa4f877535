using InfisicalKms.Core;
using InfisicalKms.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>
/// Core's settings as one start of the server binds and checks them (<c>AddKmsCore</c>, the Options pattern),
/// from in-memory values standing for appsettings.json and the environment; no database is opened.
/// </summary>
public static class SettingsHost
{
    public const string DataDirectory = "/var/lib/kms-test";

    /// <summary>A container over <paramref name="values"/>; its database location is fixed, so nothing is created on disk.</summary>
    public static ServiceProvider Build(string environmentName, params (string Key, string? Value)[] values)
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, v.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddKmsCore(configuration, new HostingEnvironment { EnvironmentName = environmentName, ContentRootPath = DataDirectory });
        services.AddSingleton(new StorageLocation(DatabaseProvider.Sqlite, "Data Source=:memory:", DataDirectory));
        return services.BuildServiceProvider();
    }

    /// <summary>The validated settings of class <typeparamref name="T"/>, as services get them.</summary>
    public static T Get<T>(params (string Key, string? Value)[] values)
        where T : class
    {
        ServiceProvider provider = Build(Environments.Development, values);
        provider.ValidateKmsSettings();
        return provider.GetRequiredService<IOptionsMonitor<T>>().CurrentValue;
    }

    /// <summary>Every message start-up's check reports for <paramref name="values"/>, in order; empty when they are valid.</summary>
    public static IReadOnlyList<string> Failures(params (string Key, string? Value)[] values)
    {
        using ServiceProvider provider = Build(Environments.Production, values);
        try
        {
            provider.ValidateKmsSettings();
            return [];
        }
        catch (OptionsValidationException failure)
        {
            return [.. failure.Failures];
        }
        catch (AggregateException failures)
        {
            return [.. failures.InnerExceptions.Cast<OptionsValidationException>().SelectMany(f => f.Failures)];
        }
    }
}
