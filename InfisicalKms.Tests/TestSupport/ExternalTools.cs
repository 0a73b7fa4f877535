using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>
/// Runs node, npm and openssl as separate processes for the interop, SDK and browser tests. A missing tool
/// fails the test (it never skips): the evidence must come from an implementation outside this project.
/// </summary>
public static class ExternalTools
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    // One npm install per folder at a time: test classes run in parallel, and two may need the same folder.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> InstallGates = new();

    public static string InteropFolder => Path.Combine(RepositoryRoot(), "InfisicalKms.Tests", "Interop");

    public static async Task<ToolResult> RunAsync(
        string file, IEnumerable<string> arguments, string? standardInput = null, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"'{file}' is required by the interop tests and could not be started ({e.Message}). Install it; these tests never skip.");
            throw;
        }

        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput);
                process.StandardInput.Close();
            }

            string commandLine = $"{file} {string.Join(' ', arguments)}";
            using var expiry = new CancellationTokenSource(timeout ?? DefaultTimeout);
            try
            {
                await process.WaitForExitAsync(expiry.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);   // e.g. node and the Chromium it started
                await process.WaitForExitAsync();
                return new ToolResult(-1, await stdout, $"timed out after {timeout ?? DefaultTimeout}\n{await stderr}", commandLine);
            }

            return new ToolResult(process.ExitCode, await stdout, await stderr, commandLine);
        }
    }

    /// <summary>Runs a whole command line (space-separated, no quoting) and returns its exit code and combined output.</summary>
    public static async Task<(int ExitCode, string Output)> RunCombinedAsync(
        string file, string arguments, string workingDirectory, IDictionary<string, string> environment, TimeSpan? timeout = null)
    {
        ToolResult result = await RunAsync(file, arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), null, workingDirectory,
            new Dictionary<string, string>(environment), timeout ?? TimeSpan.FromMinutes(4));
        return (result.ExitCode, result.Output);
    }

    /// <summary>Runs <c>npm ci</c> (the folder's lock file) when <paramref name="package"/> is not in its node_modules.</summary>
    public static async Task NpmCiIfMissingAsync(string folder, string package)
    {
        SemaphoreSlim gate = InstallGates.GetOrAdd(Path.GetFullPath(folder), _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try
        {
            if (!Directory.Exists(Path.Combine(folder, "node_modules", package)))
            {
                (int code, string log) = await RunCombinedAsync("npm", "ci --no-audit --no-fund", folder, new Dictionary<string, string>());
                Assert.True(code == 0, $"npm ci failed in {folder}:\n{log}");
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Runs the tool and asserts exit code 0; returns its standard output.</summary>
    public static async Task<string> RunOkAsync(string file, IEnumerable<string> arguments, string? standardInput = null)
    {
        ToolResult result = await RunAsync(file, arguments, standardInput);
        Assert.True(result.ExitCode == 0, $"{result.CommandLine} exited with {result.ExitCode}:\n{result.StandardOutput}\n{result.StandardError}");
        return result.StandardOutput;
    }

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "InfisicalKms.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("InfisicalKms.sln not found above the test binaries.");
    }
}

public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError, string CommandLine)
{
    public string Output => StandardOutput + StandardError;
}
