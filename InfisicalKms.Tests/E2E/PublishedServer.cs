using System.Diagnostics;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.E2E;

/// <summary>
/// <c>dotnet publish -c Release</c> of the web project, once for the test class, into a temporary folder that is
/// removed afterwards. Publishing skips the restore: the solution build has done it, and a restore would
/// rewrite the assets file the Debug build shares.
/// </summary>
public sealed class PublishedServer : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kms-publish-" + Guid.NewGuid().ToString("N"));

    /// <summary>The published application folder.</summary>
    public string Folder => Path.Combine(_root, "app");

    /// <summary>The published server, as an operator starts it: <c>dotnet /path/InfisicalKms.Web.dll</c>.</summary>
    public string WebDll => Path.Combine(Folder, "InfisicalKms.Web.dll");

    /// <summary>How long the publish took (reported by the tests).</summary>
    public TimeSpan Duration { get; private set; }

    public async Task InitializeAsync()
    {
        string project = Path.Combine(ExternalTools.RepositoryRoot(), "InfisicalKms.Web", "InfisicalKms.Web.csproj");
        var clock = Stopwatch.StartNew();
        ToolResult publish = await ExternalTools.RunAsync("dotnet",
            ["publish", project, "-c", "Release", "-o", Folder, "--no-restore", "--nologo", "-clp:ErrorsOnly"],
            timeout: TimeSpan.FromMinutes(10));
        Duration = clock.Elapsed;
        Assert.True(publish.ExitCode == 0, $"{publish.CommandLine} exited with {publish.ExitCode}:\n{publish.Output}");
        Assert.True(File.Exists(WebDll), $"dotnet publish wrote no {WebDll}");
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Removed with the temporary folder later; never fail a run on it.
        }

        return Task.CompletedTask;
    }
}
