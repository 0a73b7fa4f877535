using System.Security.Claims;
using System.Security.Cryptography;
using Bunit;
using Bunit.TestDoubles;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using MudBlazor;
using MudBlazor.Services;

namespace InfisicalKms.Tests.Web.Components.Lifecycle;

/// <summary>
/// bUnit with MudBlazor (platform notes §5, P6–P8) over a real Core on a temporary SQLite file: no mocks. The
/// signed-in user is the bootstrap user (an organization admin); one project is created for the test.
/// </summary>
public abstract class LifecycleBunitContext : BunitContext, IAsyncLifetime
{
    // One migrated, bootstrapped database per test run; every test works on its own copy of it.
    private static readonly Lazy<Task<Template>> SharedTemplate = new(CreateTemplateAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-bunit-" + Guid.NewGuid().ToString("N"));
    private readonly BunitAuthorizationContext _authorization;
    private readonly Template _template;

    protected LifecycleBunitContext()
    {
        Directory.CreateDirectory(_directory);
        _template = SharedTemplate.Value.GetAwaiter().GetResult();
        File.Copy(_template.DatabasePath, Path.Combine(_directory, "kms.db"));
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(options =>
        {
            options.SnackbarConfiguration.ShowTransitionDuration = 0;
            options.SnackbarConfiguration.HideTransitionDuration = 0;
            options.PopoverOptions.CheckForPopoverProvider = false;
        });

        Services.AddLogging();
        Services.AddKmsCore(Configuration(_directory, _template.RootKey), new HostEnvironment(_directory));
        Services.AddScoped<UserSession>();
        _authorization = AddAuthorization();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));   // P8; after every registration
    }

    /// <summary>How long WaitFor assertions wait: the services run real SQLite and crypto on a busy 2-core machine.</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>The signed-in user as the services see it.</summary>
    protected Actor Admin { get; private set; } = default!;

    protected string ProjectId { get; private set; } = "";

    protected KeyService Keys => Services.GetRequiredService<KeyService>();

    protected KeyLifecycleService Lifecycle => Services.GetRequiredService<KeyLifecycleService>();

    protected KeyImportService Import => Services.GetRequiredService<KeyImportService>();

    public async Task InitializeAsync()
    {
        await Services.InitializeKmsAsync(CancellationToken.None);   // migrations already applied; loads the root key
        Admin = _template.Admin;
        ProjectId = _template.ProjectId;
        _authorization.SetAuthorized(Admin.Name);
        _authorization.SetClaims(new Claim(ClaimTypes.NameIdentifier, Admin.Id.ToString()));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();   // P6: MudBlazor services are async-disposable only
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp folder's own clean-up.
        }
    }

    protected Task<KmsKey> CreateKeyAsync(string name, KeyUsage usage, KeyAlgorithm algorithm, bool exportable = false) =>
        Keys.CreateAsync(Admin, new CreateKeyRequest(ProjectId, name, null, usage, algorithm, exportable), CancellationToken.None);

    /// <summary>Imports one key with known material through the real import service.</summary>
    protected async Task<KmsKey> ImportKeyAsync(string name, KeyAlgorithm algorithm, byte[] material, bool exportable = false)
    {
        IReadOnlyList<ImportResult> results = await Import.ImportAsync(Admin, ProjectId, [new ImportEntry(name, null, algorithm, material, exportable)], CancellationToken.None);
        return results.Single().Key ?? throw new InvalidOperationException(results.Single().Error);
    }

    /// <summary>Renders the dialog provider and opens <typeparamref name="TDialog"/> in it, as the pages do.</summary>
    protected async Task<(IRenderedComponent<MudDialogProvider> Provider, IDialogReference Reference)> ShowDialogAsync<TDialog>(string title, DialogParameters parameters)
        where TDialog : ComponentBase
    {
        IRenderedComponent<MudDialogProvider> provider = Render<MudDialogProvider>();
        IDialogService dialogs = Services.GetRequiredService<IDialogService>();
        IDialogReference reference = await provider.InvokeAsync(() => dialogs.ShowAsync<TDialog>(title, parameters));
        return (provider, reference);
    }

    private static IConfiguration Configuration(string directory, string rootKey) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Kms"] = $"Data Source={Path.Combine(directory, "kms.db")}",
            ["ROOT_ENCRYPTION_KEY"] = rootKey,
        }).Build();

    /// <summary>Migrates, bootstraps (user admin@example.com, an organization admin) and creates one project, once.</summary>
    private static async Task<Template> CreateTemplateAsync()
    {
        string directory = Path.Combine(Path.GetTempPath(), "kms-bunit-template-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string rootKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddKmsCore(Configuration(directory, rootKey), new HostEnvironment(directory));
        Actor admin;
        string projectId;
        await using (ServiceProvider provider = services.BuildServiceProvider())
        {
            await provider.InitializeKmsAsync(CancellationToken.None);
            BootstrapResult bootstrap = await provider.GetRequiredService<BootstrapService>()
                .BootstrapAsync("admin@example.com", "correct horse battery", "Example Corp", RequestOrigin.None, CancellationToken.None);
            admin = new Actor(ActorType.User, bootstrap.User.Id, "admin@example.com", bootstrap.Organization.Id, OrgRole.Admin);
            Project project = await provider.GetRequiredService<ProjectService>()
                .CreateAsync(admin, new CreateProjectRequest("Lifecycle UI", null, null), CancellationToken.None);
            projectId = project.Id.ToString();
        }

        SqliteConnection.ClearAllPools();   // closes the file, so it can be copied whole
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Left for the temp folder's own clean-up.
            }
        };
        return new Template(Path.Combine(directory, "kms.db"), rootKey, admin, projectId);
    }

    private sealed record Template(string DatabasePath, string RootKey, Actor Admin, string ProjectId);

    private sealed class HostEnvironment(string contentRoot) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = Environments.Production;

        public string ApplicationName { get; set; } = "InfisicalKms.Tests";

        public string ContentRootPath { get; set; } = contentRoot;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
