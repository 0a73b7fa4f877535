using System.Security.Cryptography;
using InfisicalKms.Core;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace InfisicalKms.Tests.Core.Keys;

/// <summary>
/// Real Core services over one database of the run's provider with a fixed root key and a fake clock. Several
/// providers on the same database stand for several server processes. Bootstraps once and creates one project.
/// </summary>
public sealed class CoreKeysHarness : IAsyncDisposable
{
    private readonly List<ServiceProvider> _providers = [];
    private readonly string _rootKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private CoreKeysHarness()
    {
        Directory.CreateDirectory(DataDirectory);
        Database = TestDatabase.Create(DataDirectory);
    }

    public TestDatabase Database { get; }

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "kms-corekeys-" + Guid.NewGuid().ToString("N"));

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2031, 6, 1, 12, 0, 0, TimeSpan.Zero));

    public IServiceProvider Services => _providers[0];

    public Actor Admin { get; private set; } = default!;

    public string ProjectId { get; private set; } = "";

    public static async Task<CoreKeysHarness> StartAsync()
    {
        var harness = new CoreKeysHarness();
        IServiceProvider services = await harness.StartProcessAsync();
        BootstrapResult bootstrap = await services.GetRequiredService<BootstrapService>()
            .BootstrapAsync("owner@example.com", "correct horse battery", "Core Keys", RequestOrigin.None, CancellationToken.None);
        harness.Admin = new Actor(ActorType.User, bootstrap.User.Id, "owner@example.com", bootstrap.Organization.Id, OrgRole.Admin);
        Project project = await services.GetRequiredService<ProjectService>()
            .CreateAsync(harness.Admin, new CreateProjectRequest("Core keys", null, null), CancellationToken.None);
        harness.ProjectId = project.Id.ToString();
        return harness;
    }

    /// <summary>Another "process" on the same database, root key and clock.</summary>
    public async Task<IServiceProvider> StartProcessAsync(Action<IServiceCollection>? configure = null)
    {
        ServiceProvider provider = CoreProcess.Build(Database, DataDirectory, [new("ROOT_ENCRYPTION_KEY", _rootKey)], configure: services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            configure?.Invoke(services);
        });
        _providers.Add(provider);
        await provider.InitializeKmsAsync(CancellationToken.None);
        return provider;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ServiceProvider provider in _providers)
        {
            await provider.DisposeAsync();
        }

        await Database.DisposeAsync();
        CoreProcess.DeleteDirectory(DataDirectory);
    }
}
