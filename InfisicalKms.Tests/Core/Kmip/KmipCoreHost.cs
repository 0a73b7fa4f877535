using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>
/// A real Core with <c>Kms:Kmip:Enabled=true</c> on a fresh database of the run's provider, bootstrapped with an
/// organization admin and one project. <see cref="StartProcessAsync"/> starts another "process" on the same
/// database and root key (a restart, or a second instance).
/// </summary>
public sealed class KmipCoreHost : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-kmip-" + Guid.NewGuid().ToString("N"));
    private readonly string _rootKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly List<ServiceProvider> _processes = [];
    private TestDatabase? _database;

    public IServiceProvider Services => _processes[0];

    public TestDatabase Database => _database ?? throw new InvalidOperationException("Not initialized.");

    public Actor AdminActor { get; private set; } = default!;

    public Organization Organization { get; private set; } = default!;

    public Project Project { get; private set; } = default!;

    public KmipClientService Clients => Services.GetRequiredService<KmipClientService>();

    public KmipCertificateAuthority Authority => Services.GetRequiredService<KmipCertificateAuthority>();

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(_directory);
        await StartProcessAsync();
        BootstrapResult bootstrap = await Services.GetRequiredService<BootstrapService>()
            .BootstrapAsync(CoreTestHost.AdminEmail, "correct horse battery", "Example Corp", RequestOrigin.None, CancellationToken.None);
        AdminActor = CoreTestHost.ActorFor(bootstrap.User);
        Organization = bootstrap.Organization;
        Project = await CreateProjectAsync("KMIP Project");
    }

    /// <summary>Another server process on the same database and root key; disposed with the host.</summary>
    public async Task<IServiceProvider> StartProcessAsync()
    {
        ServiceProvider process = await CoreProcess.StartAsync(Database, _directory, new Dictionary<string, string?>
        {
            ["ROOT_ENCRYPTION_KEY"] = _rootKey,
            ["Kms:Kmip:Enabled"] = "true",
        });
        _processes.Add(process);
        return process;
    }

    public async Task DisposeAsync()
    {
        foreach (ServiceProvider process in _processes)
        {
            await process.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        CoreProcess.DeleteDirectory(_directory);
    }

    public Task<Project> CreateProjectAsync(string name) =>
        Services.GetRequiredService<ProjectService>().CreateAsync(AdminActor, new CreateProjectRequest(name, null, null), CancellationToken.None);

    /// <summary>A new organization member with <paramref name="role"/> in <paramref name="project"/>, as an actor.</summary>
    public async Task<Actor> MemberAsync(Project project, ProjectRole role)
    {
        KmsUser user = await UserAsync($"{role.ToWire()}-{Guid.NewGuid():N}@example.com");
        await Services.GetRequiredService<MembershipService>()
            .AddUserAsync(AdminActor, project.Id.ToString(), user.Email!, role, CancellationToken.None);
        return CoreTestHost.ActorFor(user);
    }

    /// <summary>An organization member without any project membership.</summary>
    public async Task<Actor> OutsiderAsync() => CoreTestHost.ActorFor(await UserAsync($"outsider-{Guid.NewGuid():N}@example.com"));

    public Task<KmipClient> CreateClientAsync(string name, KmipPermissions permissions = KmipPermissions.Get, Project? project = null) =>
        Clients.CreateAsync(AdminActor, new CreateKmipClientRequest((project ?? Project).Id.ToString(), name, null, permissions), CancellationToken.None);

    /// <summary>
    /// Every value of every table, as text (byte arrays as base64 and hex), read through a connection of its own:
    /// what an attacker with a copy of the database would see.
    /// </summary>
    public async Task<string> DumpDatabaseAsync()
    {
        await using DbConnection connection = await Database.OpenConnectionAsync();
        var tables = new List<string>();
        await using (DbCommand list = connection.CreateCommand())
        {
            list.CommandText = Database.IsPostgres
                ? "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                : "SELECT name FROM sqlite_master WHERE type = 'table'";
            await using DbDataReader reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var dump = new StringBuilder();
        foreach (string table in tables)
        {
            await using DbCommand select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            await using DbDataReader rows = await select.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                for (int i = 0; i < rows.FieldCount; i++)
                {
                    object value = rows.GetValue(i);
                    dump.Append(table).Append('.').Append(rows.GetName(i)).Append('=')
                        .Append(value is byte[] bytes ? Convert.ToBase64String(bytes) + " " + Convert.ToHexString(bytes) : value.ToString()).Append('\n');
                }
            }
        }

        return dump.ToString();
    }

    /// <summary>The project's audit records of <paramref name="eventType"/>, newest first.</summary>
    public async Task<IReadOnlyList<AuditEvent>> AuditRecordsAsync(Guid projectId, string eventType)
    {
        AuditLogService log = Services.GetRequiredService<AuditLogService>();
        AuditPage page = await log.QueryAsync(AdminActor, projectId.ToString(), new AuditQuery(Limit: 100, EventType: eventType), CancellationToken.None);
        return page.Events;
    }

    private async Task<KmsUser> UserAsync(string email)
    {
        KmsUser user = KmsUser.Create(email, Organization.Id, OrgRole.Member, DateTime.UtcNow);
        await using KmsDbContext db = await Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user;
    }
}
