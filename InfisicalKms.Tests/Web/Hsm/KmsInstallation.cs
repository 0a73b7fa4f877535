using System.Diagnostics;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Data.Sqlite;

namespace InfisicalKms.Tests.Web.Hsm;

/// <summary>
/// One installation of the real server binary (InfisicalKms.Web.dll, run with <c>dotnet</c> as a child
/// process) on its own SQLite file in a temporary folder, in the Production environment. Starts the
/// server, runs the root-key command, and expects start-up refusals.
/// </summary>
/// <remarks>
/// Started through <see cref="ServerBinary"/>, with its clean environment. Each process loads the PKCS#11
/// library at most once, with SOFTHSM2_CONF in its real environment (platform-notes P2, P3).
/// </remarks>
public sealed class KmsInstallation : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "kms-hsm-tests-" + Guid.NewGuid().ToString("N"));

    public string DatabasePath => Path.Combine(Directory, "kms.db");

    /// <summary>Starts the server and waits until it listens; fails the test with its output if it exits first.</summary>
    public async Task<KmsServerProcess> StartAsync(IDictionary<string, string?> variables)
    {
        Process process = Launch(variables, "--urls", "http://127.0.0.1:0");
        var output = new ProcessOutput(process);
        Task<string?> listening = output.WaitForAsync(ServerBinary.ListeningLine);
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
        Task<string?> listening = output.WaitForAsync(ServerBinary.ListeningLine);
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
        var environment = new Dictionary<string, string?> { ["ConnectionStrings__Kms"] = $"Data Source={DatabasePath}" };
        foreach ((string name, string? value) in variables)
        {
            environment[name] = value;
        }

        return ServerBinary.Start(ServerBinary.StartInfo(Directory, environment, arguments));
    }
}
