using System.Net;
using InfisicalKms.Tests.TestSupport;
using Xunit.Abstractions;

namespace InfisicalKms.Tests.Compat;

/// <summary>
/// Runs the official <c>@infisical/sdk</c> 5.0.2 (Compat/sdk, pinned by its lock file) against the real
/// server listening on a loopback socket: login, keys of every kind, every signing algorithm, public keys
/// checked with node:crypto. Needs node and npm; fails, never skips, without them.
/// </summary>
public sealed class InfisicalSdkCompatibilityTests(ITestOutputHelper output) : IDisposable
{
    private readonly KmsWebApplicationFactory _server = new();

    [Fact]
    public async Task OfficialSdk_AgainstRealServer_AllScenariosPass()
    {
        _server.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _server.StartServer();
        AdminContext admin = await _server.AdminAsync();
        string token = admin.Client.DefaultRequestHeaders.Authorization!.Parameter!;
        string sdkFolder = Path.Combine(ExternalTools.RepositoryRoot(), "InfisicalKms.Tests", "Compat", "sdk");

        await ExternalTools.NpmCiIfMissingAsync(sdkFolder, "@infisical/sdk");

        string url = _server.ClientOptions.BaseAddress.ToString().TrimEnd('/');
        (int code, string log) = await ExternalTools.RunCombinedAsync("node", "--test sdk-compat.test.mjs", sdkFolder,
            new Dictionary<string, string> { ["KMS_URL"] = url, ["KMS_ADMIN_TOKEN"] = token });
        output.WriteLine(log);
        Assert.True(code == 0, $"node --test exited with {code}:\n{log}");
        Assert.Contains("# fail 0", log);
    }

    public void Dispose() => _server.Dispose();
}
