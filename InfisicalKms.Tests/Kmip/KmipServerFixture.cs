using System.Collections.Concurrent;
using System.Security.Cryptography;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Api.Lifecycle;
using InfisicalKms.Web.Kmip;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Kmip;

/// <summary>
/// The product server in-process with its KMIP listener on a free loopback port (<c>Kms:Kmip:Enabled</c>,
/// <c>Port=0</c>, <c>Host=127.0.0.1</c>), bootstrapped, with helpers that make projects and KMIP clients through
/// the product's own services and write each client's bundle (certificate, private key, CA) to a folder of its own.
/// One per test class: every test shares the server, each runs its own PyKMIP process.
/// </summary>
public sealed class KmipServerFixture : KmsWebApplicationFactory, IAsyncLifetime
{
    private static readonly TimeSpan ListenerStart = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, Lazy<Task<object>>> _shared = new();

    public string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), "kms-pykmip-" + Guid.NewGuid().ToString("N"));

    public AdminContext Admin { get; private set; } = default!;

    /// <summary>The bootstrap identity (organization admin) as Core services see it.</summary>
    public Actor AdminActor { get; private set; } = default!;

    /// <summary>The KMIP listener's bound port.</summary>
    public int Port { get; private set; }

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Kms:Kmip:Enabled"] = "true",
        ["Kms:Kmip:Port"] = "0",
        ["Kms:Kmip:Host"] = "127.0.0.1",
    };

    public KmipClientService Clients => Services.GetRequiredService<KmipClientService>();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(WorkDirectory);
        Admin = await AdminAsync();   // builds the host, which starts the listener
        AdminActor = new Actor(ActorType.Identity, Guid.Parse(Admin.IdentityId), "instance-admin", Guid.Parse(Admin.OrganizationId), OrgRole.Admin);
        Port = await ListenerPortAsync();
    }

    Task IAsyncLifetime.DisposeAsync()
    {
        CoreProcess.DeleteDirectory(WorkDirectory);
        return Task.CompletedTask;   // the factory disposes itself
    }

    public Task<string> CreateProjectAsync(string name) => LifecycleApi.CreateProjectAsync(Admin.Client, $"{name} {UniqueSuffix()}");

    /// <summary>A new client of <paramref name="projectId"/> with a fresh RSA-2048 certificate, its bundle written out.</summary>
    public async Task<KmipBundle> NewClientAsync(string projectId, KmipPermissions permissions, string? name = null)
    {
        KmipClient client = await Clients.CreateAsync(AdminActor,
            new CreateKmipClientRequest(projectId, name ?? "pykmip-" + UniqueSuffix(), "PyKMIP test client", permissions), CancellationToken.None);
        KmipIssuedCertificate issued = await Clients.IssueCertificateAsync(AdminActor, client.Id.ToString(),
            new IssueKmipCertificateRequest(KmipCertificateKeyAlgorithm.Rsa2048, null, null), CancellationToken.None);
        return WriteBundle(client.Id, issued.CertificatePem, issued.PrivateKeyPem!, issued.CaCertificatePem);
    }

    /// <summary>A live client whose only certificate, from this instance's CA and recorded as its own, expired yesterday.</summary>
    public async Task<KmipBundle> NewExpiredClientAsync(string projectId)
    {
        KmipClient client = await Clients.CreateAsync(AdminActor,
            new CreateKmipClientRequest(projectId, "pykmip-expired-" + UniqueSuffix(), null, KmipPermissionNames.All.Aggregate((a, b) => a | b)),
            CancellationToken.None);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        KmipIssuedCertificate issued = await Services.GetRequiredService<KmipCertificateAuthority>().IssueClientCertificateAsync(
            client, KmipCertificateKeyAlgorithm.Rsa2048, now.AddDays(-30), now.AddDays(-1), CancellationToken.None);
        return WriteBundle(client.Id, issued.CertificatePem, issued.PrivateKeyPem!, issued.CaCertificatePem);
    }

    public Task RevokeAsync(Guid clientId) => Clients.RevokeAsync(AdminActor, clientId.ToString(), CancellationToken.None);

    public async Task<string> CaCertificatePemAsync() =>
        await Services.GetRequiredService<KmipCertificateAuthority>().GetCertificatePemAsync(CancellationToken.None);

    /// <summary>Writes a bundle as an operator would install it: client.pem, client.key (mode 600) and ca.pem.</summary>
    public KmipBundle WriteBundle(Guid clientId, string certificatePem, string privateKeyPem, string caPem)
    {
        string folder = Path.Combine(WorkDirectory, clientId.ToString("N") + "-" + UniqueSuffix());
        Directory.CreateDirectory(folder);
        var bundle = new KmipBundle(clientId, folder, Path.Combine(folder, "client.pem"), Path.Combine(folder, "client.key"), Path.Combine(folder, "ca.pem"));
        File.WriteAllText(bundle.CertificatePath, certificatePem);
        File.WriteAllText(bundle.PrivateKeyPath, privateKeyPem);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(bundle.PrivateKeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(bundle.CaPath, caPem);
        return bundle;
    }

    public Task<DriverRun> RunAsync(KmipBundle bundle, params System.Text.Json.Nodes.JsonObject[] steps) => PyKmipDriver.RunAsync(bundle, Port, steps);

    /// <summary>Made once per class on first use (keys several tests act on), whichever test asks first.</summary>
    public async Task<T> SharedAsync<T>(string name, Func<Task<T>> create)
        where T : class =>
        (T)await _shared.GetOrAdd(name, _ => new Lazy<Task<object>>(async () => await create())).Value;

    public static string UniqueSuffix() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    private async Task<int> ListenerPortAsync()
    {
        KmipListener listener = Services.GetRequiredService<KmipListener>();
        DateTime deadline = DateTime.UtcNow + ListenerStart;
        while (listener.Port is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the KMIP listener did not bind a port within {ListenerStart.TotalSeconds} s");
            await Task.Delay(50);
        }

        return listener.Port.Value;
    }
}
