using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace InfisicalKms.Tests.Interop;

/// <summary>
/// Runs node and openssl as separate processes. A missing tool fails the test (it never skips): the interop
/// evidence must come from an implementation outside this project.
/// </summary>
public static class ExternalTools
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static string InteropFolder => Path.Combine(RepositoryRoot(), "InfisicalKms.Tests", "Interop");

    public static async Task<ToolResult> RunAsync(string file, IEnumerable<string> arguments, string? standardInput = null, string? workingDirectory = null)
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

            using var timeout = new CancellationTokenSource(Timeout);
            await process.WaitForExitAsync(timeout.Token);
            return new ToolResult(process.ExitCode, await stdout, await stderr, $"{file} {string.Join(' ', arguments)}");
        }
    }

    /// <summary>Runs the tool and asserts exit code 0; returns its standard output.</summary>
    public static async Task<string> RunOkAsync(string file, IEnumerable<string> arguments, string? standardInput = null)
    {
        ToolResult result = await RunAsync(file, arguments, standardInput);
        Assert.True(result.ExitCode == 0, $"{result.CommandLine} exited with {result.ExitCode}:\n{result.StandardOutput}\n{result.StandardError}");
        return result.StandardOutput;
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

public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError, string CommandLine);
