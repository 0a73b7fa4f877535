using System.Security.Cryptography;
using InfisicalKms.Tests.Web.Startup;

namespace InfisicalKms.Tests.Web.Http;

/// <summary>The real server binary in Production on a fresh SQLite file, one per test class.</summary>
public sealed class KestrelRefusalServer : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-refusals-" + Guid.NewGuid().ToString("N"));
    private ServerProcess? _server;

    public Uri Address { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _server = ServerProcess.Start("Production", Path.Combine(_directory, "kms.db"),
            new Dictionary<string, string> { ["ROOT_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        Address = await _server.WaitUntilListeningAsync(TimeSpan.FromSeconds(60));
    }

    public Task<RawHttpConnection> ConnectAsync() => RawHttpConnection.OpenAsync(Address);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp folder's own clean-up; never fail a test on it.
        }
    }
}
