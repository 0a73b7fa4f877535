using System.Security.Cryptography;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Tests.Web.Startup;

namespace InfisicalKms.Tests.Web.Operations;

/// <summary>
/// Issue 15: the server binary's commands (backup, restore, root-key, db) share one parser. A first word that
/// names no command prints the list and exits 2 without starting the server; server options alone still start it.
/// </summary>
public sealed class OperatorCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kms-commands-" + Guid.NewGuid().ToString("N"));

    /// <summary>A usable key: a server that wrongly started would listen, not refuse for want of a key.</summary>
    private readonly Dictionary<string, string> _variables = new() { ["ROOT_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };

    public OperatorCommandTests() => Directory.CreateDirectory(_directory);

    [Theory]
    [InlineData("backups", "--to", "x.db")]
    [InlineData("serve")]
    [InlineData("Backup", "--to", "x.db")]
    public async Task UnknownFirstWord_PrintsTheCommands_ExitsTwo_AndNeverListens(params string[] arguments)
    {
        await using ServerProcess run = ServerProcess.Run(_directory, _variables, [.. arguments, "--urls", "http://127.0.0.1:0"]);

        int exitCode = await run.WaitForExitAsync(Timeout);

        Assert.True(exitCode == 2, $"exit code {exitCode}\n{run.StandardOutput}{run.StandardError}");
        Assert.StartsWith($"Unknown command \"{arguments[0]}\"; the server was not started.", run.StandardError, StringComparison.Ordinal);
        foreach (string command in new[] { "backup", "restore", "root-key", "db", "help" })
        {
            Assert.Matches($@"(?m)^  {command} +\S", run.StandardError);
        }

        Assert.DoesNotContain("Now listening", run.StandardOutput, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory));   // no database, no backup file
    }

    [Theory]
    [InlineData("help")]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_ListsTheCommands_AndExitsZero(string help)
    {
        await using ServerProcess run = ServerProcess.Run(_directory, _variables, help);

        Assert.Equal(0, await run.WaitForExitAsync(Timeout));
        Assert.Contains("Usage: dotnet InfisicalKms.Web.dll [<command> [arguments]] [server options]", run.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^  restore +a backup into a new installation", run.StandardOutput);
        Assert.Equal("", run.StandardError);
    }

    [Theory]
    [InlineData("backup", "Usage: dotnet InfisicalKms.Web.dll backup --to <file>")]
    [InlineData("backup --to", "Usage: dotnet InfisicalKms.Web.dll backup --to <file>")]
    [InlineData("backup --to a.db --to b.db", "Usage: dotnet InfisicalKms.Web.dll backup --to <file>")]
    [InlineData("backup now --to a.db", "Usage: dotnet InfisicalKms.Web.dll backup --to <file>")]
    [InlineData("restore --form a.db", "Usage: dotnet InfisicalKms.Web.dll restore --from <file>")]
    [InlineData("db copy --to oracle", "Usage: dotnet InfisicalKms.Web.dll db copy --to <postgres|sqlite>")]
    [InlineData("root-key migrate --to cloud", "Usage: dotnet InfisicalKms.Web.dll root-key <action>")]
    public async Task CommandWithUnknownOrMissingArguments_PrintsItsUsage_AndExitsTwo(string commandLine, string usage)
    {
        await using ServerProcess run = ServerProcess.Run(_directory, _variables, commandLine.Split(' '));

        Assert.Equal(2, await run.WaitForExitAsync(Timeout));
        Assert.Contains(usage, run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory));
    }

    [Theory]
    [InlineData("--urls", "http://127.0.0.1:0")]
    [InlineData("Kms:Cache:Tokens=100", "--urls=http://127.0.0.1:0")]
    public async Task ServerOptionsAlone_StartTheServer(params string[] arguments)
    {
        await using ServerProcess server = ServerProcess.Run(_directory, _variables, arguments);

        Uri address = await server.WaitUntilListeningAsync(Timeout);

        using var client = new HttpClient { BaseAddress = address, Timeout = Timeout };
        Assert.True((await client.GetAsync("/api/status")).IsSuccessStatusCode);
    }

    public void Dispose() => CoreProcess.DeleteDirectory(_directory);
}
