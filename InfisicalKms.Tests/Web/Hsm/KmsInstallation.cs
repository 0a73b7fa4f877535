using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace InfisicalKms.Tests.Web.Hsm;

/// <summary>
/// One installation of the real server binary (InfisicalKms.Web.dll, run with <c>dotnet</c> as a child
/// process) on its own SQLite file in a temporary folder, in the Production environment. Starts the
/// server, runs the root-key command, and expects start-up refusals.
/// </summary>
/// <remarks>
/// Child processes get a clean environment: every wrapping-key, HSM and KMS variable of the test process
/// is removed, then the test's own are set. Each process loads the PKCS#11 library at most once, with
/// SOFTHSM2_CONF in its real environment (platform-notes P2, P3).
/// </remarks>
public sealed partial class KmsInstallation : IDisposable
{
    private static readonly string[] InheritedPrefixes =
        ["HSM_", "SOFTHSM2_", "ENCRYPTION_KEY", "ROOT_ENCRYPTION_KEY", "NEW_", "Kms__", "ConnectionStrings__", "Logging__", "ASPNETCORE_", "DOTNET_ENVIRONMENT"];

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "kms-hsm-tests-" + Guid.NewGuid().ToString("N"));

    public string DatabasePath => Path.Combine(Directory, "kms.db");

    /// <summary>Starts the server and waits until it listens; fails the test with its output if it exits first.</summary>
    public async Task<KmsServerProcess> StartAsync(IDictionary<string, string?> variables)
    {
        Process process = Launch(variables, "--urls", "http://127.0.0.1:0");
        var output = new ProcessOutput(process);
        Task<string?> listening = output.WaitForAsync(ListeningOn());
        Task exited = process.WaitForExitAsync();
        Task first = await Task.WhenAny(listening, exited, Task.Delay(Timeout));
        if (first != listening || await listening is not { } url)
        {
            Kill(process);
            await process.WaitForExitAsync();
            Assert.Fail($"The server did not start (exit code {(process.HasExited ? process.ExitCode : -1)}):\n{output.Text}");
            throw new InvalidOperationException();   // unreachable
        }

        return new KmsServerProcess(process, output, new Uri(url));
    }

    /// <summary>Starts the server and expects it to refuse: returns the exit code and output; fails if it listens.</summary>
    public async Task<ProcessResult> StartExpectingRefusalAsync(IDictionary<string, string?> variables)
    {
        Process process = Launch(variables, "--urls", "http://127.0.0.1:0");
        var output = new ProcessOutput(process);
        Task<string?> listening = output.WaitForAsync(ListeningOn());
        Task exited = process.WaitForExitAsync();
        await Task.WhenAny(exited, listening, Task.Delay(Timeout));
        bool listened = listening.IsCompletedSuccessfully && listening.Result is not null;
        if (!listened && !exited.IsCompleted)
        {
            // The output may close a moment before the process is reaped.
            await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(10)));
        }

        if (!exited.IsCompleted)
        {
            Kill(process);
            await process.WaitForExitAsync();
            Assert.Fail($"The server was expected to refuse to start, but it {(listened ? "listened" : "hung")}:\n{output.Text}");
        }

        return await output.ResultAsync(process.ExitCode);
    }

    /// <summary>Runs <c>root-key …</c> (or any arguments) to completion.</summary>
    public async Task<ProcessResult> RunCommandAsync(IDictionary<string, string?> variables, params string[] arguments)
    {
        Process process = Launch(variables, arguments);
        var output = new ProcessOutput(process);
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            Assert.Fail($"'{string.Join(' ', arguments)}' did not finish in {Timeout.TotalSeconds} s:\n{output.Text}");
        }

        return await output.ResultAsync(process.ExitCode);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp folder's own clean-up; never fail a test on it.
        }
    }

    internal static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private Process Launch(IDictionary<string, string?> variables, params string[] arguments)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "InfisicalKms.Web.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string name in start.Environment.Keys.Where(k => InheritedPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__Kms"] = $"Data Source={DatabasePath}";
        // The tests read these lines ("Now listening on", key generation, warnings), whatever appsettings.json says.
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        start.Environment["Logging__LogLevel__InfisicalKms"] = "Information";
        foreach ((string name, string? value) in variables)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        Process process = Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();
}
