using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace InfisicalKms.Tests.Web.Hsm;

/// <summary>Exit code and output of a finished child process.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Output => StandardOutput + StandardError;

    public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{StandardOutput}\n--- stderr\n{StandardError}";
}

/// <summary>Collects a child's standard output and error as they arrive; can wait for a line pattern.</summary>
internal sealed class ProcessOutput
{
    private readonly Lock _gate = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Regex Pattern, TaskCompletionSource<string?> Found)> _waiters = [];

    public ProcessOutput(Process process)
    {
        process.OutputDataReceived += (_, e) => Append(_stdout, e.Data, _stdoutClosed);
        process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data, _stderrClosed);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return $"--- stdout\n{_stdout}\n--- stderr\n{_stderr}";
            }
        }
    }

    /// <summary>The first group of the first line matching <paramref name="pattern"/>; null if the output ends first.</summary>
    public Task<string?> WaitForAsync(Regex pattern)
    {
        var found = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            Match match = pattern.Match(_stdout.ToString());
            if (match.Success)
            {
                found.SetResult(match.Groups[1].Value);
            }
            else
            {
                _waiters.Add((pattern, found));
            }
        }

        return found.Task;
    }

    public async Task<ProcessResult> ResultAsync(int exitCode)
    {
        await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(TimeSpan.FromSeconds(10));
        lock (_gate)
        {
            return new ProcessResult(exitCode, _stdout.ToString(), _stderr.ToString());
        }
    }

    private void Append(StringBuilder target, string? line, TaskCompletionSource closed)
    {
        lock (_gate)
        {
            if (line is null)
            {
                closed.TrySetResult();
                foreach ((_, TaskCompletionSource<string?> found) in _waiters)
                {
                    found.TrySetResult(null);
                }

                return;
            }

            target.AppendLine(line);
            foreach ((Regex pattern, TaskCompletionSource<string?> found) in _waiters)
            {
                if (pattern.Match(line) is { Success: true } match)
                {
                    found.TrySetResult(match.Groups[1].Value);
                }
            }
        }
    }
}
