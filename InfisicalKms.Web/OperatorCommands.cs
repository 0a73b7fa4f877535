namespace InfisicalKms.Web;

/// <summary>
/// The operator commands of the server binary (<c>dotnet InfisicalKms.Web.dll &lt;command&gt; …</c>), run
/// instead of the web host, and the one place that decides whether the first argument names one. Arguments
/// that start with <c>-</c> or <c>/</c> or hold <c>=</c> (<c>--urls …</c>, <c>--contentRoot=…</c>,
/// <c>Kms:Audit:RetentionDays=30</c>) are the server's settings; any other first word must be a command.
/// </summary>
internal static class OperatorCommands
{
    /// <summary>Done (or already in place).</summary>
    public const int Ok = 0;

    /// <summary>Refused or failed; the command says what was left unchanged.</summary>
    public const int Refused = 1;

    /// <summary>The command line itself is wrong: an unknown command, or a command's unknown or missing arguments.</summary>
    public const int Usage = 2;

    private static readonly Command[] Commands =
    [
        new("backup", "a consistent copy of the SQLite database, taken while the server runs", BackupCommand.RunAsync),
        new("restore", "a backup into a new installation, checked before it is put in place", RestoreCommand.RunAsync),
        new("root-key", "re-wrap the instance root key (HSM, environment key, rotation)", RootKeyCommand.RunAsync),
        new("db", "copy the installation to the other database provider", DbCopyCommand.RunAsync),
        new("help", "show this text", _ => HelpAsync()),
    ];

    public static string List => $"""
        Usage: dotnet InfisicalKms.Web.dll [<command> [arguments]] [server options]

        Without a command the server starts; options such as --urls http://0.0.0.0:8080 and settings such as
        Kms:Audit:RetentionDays=30 go to the server. Commands (each has its own help: <command> help):
        {string.Join(Environment.NewLine, Commands.Select(c => $"  {c.Name,-10}{c.Summary}"))}

        Exit code 0: done. 1: refused or failed. 2: unknown command or arguments.
        """;

    /// <summary>The command the arguments name, run to its exit code; null when they are the server's own.</summary>
    public static Task<int>? TryRun(string[] args)
    {
        if (args is [] || (IsServerArgument(args[0]) && args[0] is not ("--help" or "-h")))
        {
            return null;
        }

        string name = args[0] is "--help" or "-h" ? "help" : args[0];
        Command? command = Commands.FirstOrDefault(c => c.Name == name);
        return command is null ? UnknownAsync(name) : command.Run(args[1..]);
    }

    /// <summary>The server's configuration sources without the command line, whose words are the command's.</summary>
    public static WebApplicationBuilder CreateBuilder()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddServerSources(args: []);
        return builder;
    }

    /// <summary>
    /// The operator's one file, the root appsettings.json (copied next to the binaries), overridden by environment
    /// variables and then by <paramref name="args"/>: the server's sources and every command's.
    /// </summary>
    public static IConfigurationBuilder AddServerSources(this IConfigurationBuilder configuration, string[] args) =>
        configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false)
            .AddEnvironmentVariables()
            .AddCommandLine(args);

    /// <summary>Prints the command's complaint and usage on standard error; returns <see cref="Usage"/>.</summary>
    public static async Task<int> UsageErrorAsync(string complaint, string usage)
    {
        await Console.Error.WriteLineAsync($"{complaint}\n\n{usage}");
        return Usage;
    }

    /// <summary>Ctrl-C cancels the command, so that it can clean up, rather than killing it halfway.</summary>
    public static CancellationTokenSource CancelOnCtrlC()
    {
        var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        return cancel;
    }

    private static bool IsServerArgument(string arg) =>
        arg.StartsWith('-') || arg.StartsWith('/') || arg.Contains('=', StringComparison.Ordinal);

    private static async Task<int> HelpAsync()
    {
        await Console.Out.WriteLineAsync(List);
        return Ok;
    }

    private static async Task<int> UnknownAsync(string name)
    {
        await Console.Error.WriteLineAsync($"Unknown command \"{name}\"; the server was not started.\n\n{List}");
        return Usage;
    }

    private sealed record Command(string Name, string Summary, Func<string[], Task<int>> Run);
}
