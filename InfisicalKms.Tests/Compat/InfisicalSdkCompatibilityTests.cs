using System.Diagnostics;
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
        string sdkFolder = Path.Combine(RepositoryRoot(), "InfisicalKms.Tests", "Compat", "sdk");

        if (!Directory.Exists(Path.Combine(sdkFolder, "node_modules", "@infisical", "sdk")))
        {
            (int installCode, string installLog) = await RunAsync("npm", "ci --no-audit --no-fund", sdkFolder, new Dictionary<string, string>());
            Assert.True(installCode == 0, $"npm ci failed:\n{installLog}");
        }

        string url = _server.ClientOptions.BaseAddress.ToString().TrimEnd('/');
        (int code, string log) = await RunAsync("node", "--test sdk-compat.test.mjs", sdkFolder,
            new Dictionary<string, string> { ["KMS_URL"] = url, ["KMS_ADMIN_TOKEN"] = token });
        output.WriteLine(log);
        Assert.True(code == 0, $"node --test exited with {code}:\n{log}");
        Assert.Contains("# fail 0", log);
    }

    public void Dispose() => _server.Dispose();

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string arguments, string directory, IDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach ((string key, string value) in environment)
        {
            start.Environment[key] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "InfisicalKms.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("InfisicalKms.sln not found above the test binaries.");
    }
}
