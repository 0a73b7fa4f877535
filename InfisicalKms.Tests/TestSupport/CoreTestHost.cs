using System.Security.Cryptography;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>
/// A real Core (AddKmsCore) on a fresh database of the run's provider (<see cref="TestDatabase"/>), initialized and
/// bootstrapped with an organization admin. One per test class (<c>IClassFixture</c>); component tests
/// take its singletons, so the UI runs against the same services as the server.
/// </summary>
public sealed class CoreTestHost : IAsyncLifetime
{
    public const string AdminEmail = "admin@example.com";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-core-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<KeyAlgorithm, KmsKey> _sharedKeys = [];
    private readonly Dictionary<string, string?> _settings;
    private ServiceProvider? _services;
    private TestDatabase? _database;
    private BootstrapResult? _bootstrap;

    public CoreTestHost()
        : this(new Dictionary<string, string?>())
    {
    }

    /// <summary>With more settings for this start, e.g. <c>Kms:Kmip:Enabled</c>.</summary>
    /// <remarks>Internal: xunit wants one public constructor on a fixture; a fixture of its own wraps this one.</remarks>
    internal CoreTestHost(IReadOnlyDictionary<string, string?> settings) => _settings = new Dictionary<string, string?>(settings);

    public IServiceProvider Services => _services ?? throw new InvalidOperationException("Not initialized.");

    public KmsUser Admin => Bootstrap.User;

    public Organization Organization => Bootstrap.Organization;

    public Actor AdminActor => ActorFor(Admin);

    /// <summary>A project created at start-up, for tests that only need somewhere to put a key.</summary>
    public Project Project { get; private set; } = default!;

    public KeyService Keys => Services.GetRequiredService<KeyService>();

    public KeyCryptoService Crypto => Services.GetRequiredService<KeyCryptoService>();

    private BootstrapResult Bootstrap => _bootstrap ?? throw new InvalidOperationException("Not initialized.");

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(_directory);
        _settings["ROOT_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        _services = await CoreProcess.StartAsync(_database, _directory, _settings);
        _bootstrap = await Services.GetRequiredService<BootstrapService>()
            .BootstrapAsync(AdminEmail, "correct horse battery", "Example Corp", RequestOrigin.None, CancellationToken.None);
        Project = await CreateProjectAsync("Test Project");
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        CoreProcess.DeleteDirectory(_directory);
    }

    public static Actor ActorFor(KmsUser user) =>
        new(ActorType.User, user.Id, user.Email ?? "", user.OrganizationId, user.OrgRole);

    public Task<Project> CreateProjectAsync(string name) =>
        Services.GetRequiredService<ProjectService>().CreateAsync(AdminActor, new CreateProjectRequest(name, null, null), CancellationToken.None);

    /// <summary>An organization member (no project rights of its own) with the given e-mail.</summary>
    public async Task<KmsUser> CreateUserAsync(string email)
    {
        KmsUser user = KmsUser.Create(email, Organization.Id, OrgRole.Member, DateTime.UtcNow);
        await using KmsDbContext db = await Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user;
    }

    /// <summary>A new organization member with the given role in the project.</summary>
    public async Task<KmsUser> CreateMemberAsync(Project project, ProjectRole role)
    {
        KmsUser user = await CreateUserAsync($"{role.ToWire()}-{Guid.NewGuid():N}@example.com");
        await Services.GetRequiredService<MembershipService>()
            .AddUserAsync(AdminActor, project.Id.ToString(), user.Email!, role, CancellationToken.None);
        return user;
    }

    public Task<KmsKey> CreateKeyAsync(Project project, string name, KeyAlgorithm algorithm, bool exportable = false) =>
        Keys.CreateAsync(AdminActor, new CreateKeyRequest(project.Id.ToString(), name, null, algorithm.Usage(), algorithm, exportable), CancellationToken.None);

    /// <summary>One key of this algorithm in <see cref="Project"/>, made on first use (RSA-4096 takes seconds).</summary>
    public async Task<KmsKey> SharedKeyAsync(KeyAlgorithm algorithm)
    {
        if (!_sharedKeys.TryGetValue(algorithm, out KmsKey? key))
        {
            key = await CreateKeyAsync(Project, $"shared-{algorithm.ToWire().ToLowerInvariant().Replace('_', '-')}", algorithm);
            _sharedKeys[algorithm] = key;
        }

        return key;
    }

    public async Task<KmsKey> ReloadKeyAsync(Guid keyId) => await Keys.GetAsync(AdminActor, keyId, CancellationToken.None);
}
