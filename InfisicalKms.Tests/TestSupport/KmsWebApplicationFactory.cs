using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>
/// The real server in-process on a fresh database of the run's provider (<see cref="TestDatabase"/>: an
/// SQLite file in a temporary folder, or a PostgreSQL database), with its own ROOT_ENCRYPTION_KEY. Bootstraps once and hands out clients for callers of every role.
/// </summary>
public class KmsWebApplicationFactory : WebApplicationFactory<Program>
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-tests-" + Guid.NewGuid().ToString("N"));
    private readonly SemaphoreSlim _bootstrapGate = new(1, 1);
    private AdminContext? _admin;
    private readonly bool _ownsDatabase;
    private TestDatabase? _database;

    /// <summary>On a fresh database of the run's provider, dropped with the factory.</summary>
    public KmsWebApplicationFactory() => _ownsDatabase = true;

    /// <summary>On a database the test owns and keeps (a restart on the same data).</summary>
    /// <remarks>Protected: an xUnit fixture may have one public constructor.</remarks>
    protected KmsWebApplicationFactory(TestDatabase sharedDatabase) => _database = sharedDatabase;

    public string RootEncryptionKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string DatabasePath => Path.Combine(_directory, "kms.db");

    /// <summary>The database, created when the host is built.</summary>
    public TestDatabase Database => _database ?? throw new InvalidOperationException("The host is not built yet.");

    /// <summary>A clock the test controls (token expiry, rotation); the system clock when null.</summary>
    public FakeTimeProvider? Clock { get; init; }

    /// <summary>Extra settings for a derived factory (applied last, so they win).</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Directory.CreateDirectory(_directory);
        _database ??= TestDatabase.Create(_directory);
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration((_, config) =>
        {
            var settings = new Dictionary<string, string?>(Database.Settings)
            {
                ["ROOT_ENCRYPTION_KEY"] = RootEncryptionKey,
            };
            foreach ((string key, string? value) in Settings)
            {
                settings[key] = value;
            }

            config.AddInMemoryCollection(settings);
        });
        if (Clock is not null)
        {
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
        }
    }

    /// <summary>Bootstraps the instance once and returns the admin (organization-admin identity) context.</summary>
    public async Task<AdminContext> AdminAsync()
    {
        await _bootstrapGate.WaitAsync();
        try
        {
            if (_admin is null)
            {
                HttpClient anonymous = CreateClient();
                HttpResponseMessage response = await anonymous.PostAsJsonAsync("/api/v1/admin/bootstrap",
                    new { email = "admin@example.com", password = "correct horse battery", organization = "Example Corp" });
                JsonObject body = await ApiAssert.OkAsync(response);
                _admin = new AdminContext(
                    Authorized((string)body["identity"]!["credentials"]!["token"]!),
                    (string)body["organization"]!["id"]!,
                    (string)body["identity"]!["id"]!);
            }

            return _admin;
        }
        finally
        {
            _bootstrapGate.Release();
        }
    }

    public HttpClient Authorized(string token)
    {
        HttpClient client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (_ownsDatabase)
        {
            _database?.Dispose();
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open is removed with the temp folder later; never fail a test run on it.
        }
    }
}

/// <summary>The bootstrap identity's client and the organization it administers.</summary>
public sealed record AdminContext(HttpClient Client, string OrganizationId, string IdentityId);
