using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace InfisicalKms.Tests.Web.Audit;

/// <summary>
/// The in-process server for the audit tests: a fake clock (so <c>createdAt</c> is known to the tick), every
/// request from <see cref="PeerIp"/> with the <see cref="UserAgent"/> header, and no background rotation loop
/// (only the test's own scheduler calls rotate). Reads the stored records straight from the SQLite file and
/// edits them there, as someone with access to the database would.
/// </summary>
public sealed class AuditServerFixture : PeerAddressKmsFactory, IAsyncLifetime
{
    public const string PeerIp = "203.0.113.7";
    public const string UserAgent = "KmsAuditTests/6.0 (ua-marker-3f9c)";
    public const string AdminEmail = "admin@example.com";

    /// <summary>Sub-millisecond ticks on purpose: records must carry the time truncated, not rounded.</summary>
    public static readonly DateTimeOffset Start = new DateTimeOffset(2031, 5, 6, 7, 8, 9, 123, TimeSpan.Zero).AddTicks(9876);

    public AuditServerFixture()
    {
        Clock = FakeClock;
    }

    public FakeTimeProvider FakeClock { get; } = new(Start);

    public AdminContext Admin { get; private set; } = default!;

    public Guid OrganizationId => Guid.Parse(Admin.OrganizationId);

    public Guid AdminIdentityId => Guid.Parse(Admin.IdentityId);

    /// <summary>The record actor of the bootstrap identity, which makes every request unless a case says otherwise.</summary>
    public AuditActor AdminActor => new("identity", AdminIdentityId, "instance-admin");

    public DateTime BootstrappedAt { get; private set; }

    public Guid BootstrapUserId { get; private set; }

    public KeyRotationScheduler Scheduler => Services.GetRequiredService<KeyRotationScheduler>();

    public async Task InitializeAsync()
    {
        BootstrappedAt = FakeClock.GetUtcNow().UtcDateTime;
        Admin = await AdminAsync();
        await using KmsDbContext db = await DbAsync();
        BootstrapUserId = await db.Users.Where(u => u.Email == AdminEmail).Select(u => u.Id).SingleAsync();
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;   // the factory disposes itself

    /// <summary>Moves the clock on by a little over a second (odd ticks) and returns the new time.</summary>
    public DateTime Tick()
    {
        FakeClock.Advance(TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(2_345_678));
        return FakeClock.GetUtcNow().UtcDateTime;
    }

    public Task<KmsDbContext> DbAsync() => Services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync();

    /// <summary>The newest record's sequence number (0 when there is none).</summary>
    public async Task<long> LastSequenceAsync()
    {
        await using KmsDbContext db = await DbAsync();
        return await db.AuditEvents.MaxAsync(e => (long?)e.Sequence) ?? 0;
    }

    /// <summary>Every record written after <paramref name="sequence"/>, in insertion order, over all chains.</summary>
    public async Task<List<AuditEvent>> RecordsAfterAsync(long sequence)
    {
        await using KmsDbContext db = await DbAsync();
        return await db.AuditEvents.AsNoTracking().Where(e => e.Sequence > sequence).OrderBy(e => e.Sequence).ToListAsync();
    }

    /// <summary>A whole chain in chain order.</summary>
    public async Task<List<AuditEvent>> ChainAsync(Guid chainId)
    {
        await using KmsDbContext db = await DbAsync();
        return await db.AuditEvents.AsNoTracking().Where(e => e.ChainId == chainId).OrderBy(e => e.ChainIndex).ToListAsync();
    }

    /// <summary>Runs SQL on the database file over a connection of its own, outside the app.</summary>
    public async Task ExecuteSqlAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        await command.ExecuteNonQueryAsync();
    }

    public async Task<Guid> NewProjectAsync()
    {
        JsonObject body = await ApiAssert.OkAsync(await Admin.Client.PostAsJsonAsync("/api/v1/projects", new { projectName = "Audit " + KeyApi.UniqueName() }));
        return Guid.Parse((string)body["project"]!["id"]!);
    }

    /// <summary>Creates a key as the admin and returns its ID and name.</summary>
    public async Task<(Guid Id, string Name)> NewKeyAsync(Guid projectId, string usage = "encrypt-decrypt", string? algorithm = null, bool exportable = false)
    {
        string name = KeyApi.UniqueName();
        JsonObject body = await ApiAssert.OkAsync(await Admin.Client.PostAsJsonAsync(KeyApi.Keys,
            new { projectId, name, keyUsage = usage, algorithm, isExportable = exportable }));
        return (Guid.Parse((string)body["key"]!["id"]!), name);
    }

    /// <summary>Sends as the admin and returns the 200 body.</summary>
    public async Task<JsonObject> AdminSendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        return await ApiAssert.OkAsync(await Admin.Client.SendAsync(request));
    }

    /// <summary>A new identity (organization role <paramref name="orgRole"/>) logged in now, with <paramref name="role"/> in the project if given.</summary>
    public async Task<ApiCaller> CallerAsync(Guid? projectId, string? role, string orgRole = "member", string name = "audit-caller")
    {
        ApiCaller caller = await AuthTestHelpers.CreateCallerAsync(this, Admin, name, orgRole);
        if (projectId is { } project && role is not null)
        {
            await AuthTestHelpers.AddIdentityMembershipAsync(Admin.Client, project.ToString(), caller.IdentityId, role);
        }

        return caller;
    }

    /// <summary>A user of the organization, stored as the web interface's sign-up would (there is no API route).</summary>
    public async Task<(Guid Id, string Email)> NewUserAsync()
    {
        KmsUser user = KmsUser.Create($"audit-{Guid.NewGuid():N}@example.com", OrganizationId, OrgRole.Member, FakeClock.GetUtcNow().UtcDateTime);
        await using KmsDbContext db = await DbAsync();
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return (user.Id, user.Email!);
    }

    /// <summary>The Core view of the admin identity, for calling services directly.</summary>
    public Actor CoreAdmin => new(ActorType.Identity, AdminIdentityId, "instance-admin", OrganizationId, OrgRole.Admin);

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", UserAgent);
        client.DefaultRequestHeaders.Add(PeerHeader, PeerIp);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            // The AddHostedService(sp => sp.GetRequiredService<KeyRotationScheduler>()) registration: only the tests rotate.
            foreach (ServiceDescriptor loop in services.Where(d => d.ServiceType == typeof(IHostedService)
                         && d.ImplementationFactory?.GetType().GenericTypeArguments.LastOrDefault() == typeof(KeyRotationScheduler)).ToList())
            {
                services.Remove(loop);
            }
        });
    }
}

/// <summary>The audit record, query and tamper tests share one server; each test works in projects of its own.</summary>
[CollectionDefinition(Name)]
public sealed class AuditServerCollection : ICollectionFixture<AuditServerFixture>
{
    public const string Name = "Audit server";
}
