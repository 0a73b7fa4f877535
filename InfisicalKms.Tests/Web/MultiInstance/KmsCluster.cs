using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InfisicalKms.Core.Storage;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Startup;

namespace InfisicalKms.Tests.Web.MultiInstance;

/// <summary>
/// Several server processes (the real binary, in Production) on one PostgreSQL database, with one
/// ROOT_ENCRYPTION_KEY, each on its own loopback port and working directory, as instances behind a load
/// balancer would be. Always PostgreSQL, whatever the run's provider. The first instance is bootstrapped.
/// </summary>
public sealed class KmsCluster : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-cluster-" + Guid.NewGuid().ToString("N"));
    private readonly List<Instance> _instances = [];

    public string RootEncryptionKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public TestDatabase Database { get; private set; } = default!;

    public IReadOnlyList<Instance> Instances => _instances;

    public string AdminToken { get; private set; } = "";

    public string OrganizationId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres, _directory);
        await StartInstancesAsync(3);   // started together: they race to migrate and to create the root key
        HttpResponseMessage boot = await _instances[0].Anonymous.PostAsJsonAsync("/api/v1/admin/bootstrap",
            new { email = "admin@example.com", password = "correct horse battery", organization = "Example Corp" });
        JsonObject body = await ApiAssert.OkAsync(boot);
        AdminToken = (string)body["identity"]!["credentials"]!["token"]!;
        OrganizationId = (string)body["organization"]!["id"]!;
    }

    /// <summary>Starts <paramref name="count"/> more instances at once and waits until each listens.</summary>
    public async Task<IReadOnlyList<Instance>> StartInstancesAsync(int count, IReadOnlyDictionary<string, string>? variables = null)
    {
        var started = new List<(ServerProcess Process, string Name)>();
        for (int i = 0; i < count; i++)
        {
            string name = ((char)('A' + _instances.Count + i)).ToString();
            string workingDirectory = Path.Combine(_directory, name);
            Directory.CreateDirectory(workingDirectory);
            var environment = new Dictionary<string, string> { ["ROOT_ENCRYPTION_KEY"] = RootEncryptionKey };
            foreach ((string key, string value) in variables ?? new Dictionary<string, string>())
            {
                environment[key] = value;
            }

            started.Add((ServerProcess.Start("Production", workingDirectory, Database, environment), name));
        }

        var instances = new List<Instance>();
        foreach ((ServerProcess process, string name) in started)
        {
            Uri address = await process.WaitUntilListeningAsync(StartTimeout);
            instances.Add(new Instance(name, process, address));
        }

        _instances.AddRange(instances);
        return instances;
    }

    public HttpClient Admin(Instance instance) => instance.Authorized(AdminToken);

    public async Task DisposeAsync()
    {
        foreach (Instance instance in _instances)
        {
            await instance.Process.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        CoreProcess.DeleteDirectory(_directory);
    }

    /// <summary>One server process of the cluster.</summary>
    public sealed class Instance(string name, ServerProcess process, Uri address)
    {
        public string Name { get; } = name;

        public ServerProcess Process { get; } = process;

        public Uri Address { get; } = address;

        public HttpClient Anonymous { get; } = new() { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };

        public HttpClient Authorized(string token)
        {
            var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        public override string ToString() => Name;
    }
}
