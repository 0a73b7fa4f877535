using System.Diagnostics;
using System.Text;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Startup;

/// <summary>
/// The real server binary as a child process (started through <see cref="ServerBinary"/>, with its
/// clean environment), on either provider; its output is kept for the test's assertions.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process) => _process = process;

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts the server in <paramref name="environmentName"/> on a free loopback port over the SQLite file <paramref name="databasePath"/>.</summary>
    public static ServerProcess Start(string environmentName, string databasePath, IReadOnlyDictionary<string, string> variables) =>
        Start(environmentName, Path.GetDirectoryName(databasePath)!,
            new Dictionary<string, string>(variables) { ["ConnectionStrings__Kms"] = $"Data Source={databasePath}" }, extraArguments: []);

    /// <summary>Starts the server over <paramref name="database"/> (either provider), in <paramref name="workingDirectory"/>.</summary>
    public static ServerProcess Start(string environmentName, string workingDirectory, TestDatabase database, IReadOnlyDictionary<string, string> variables)
    {
        var all = new Dictionary<string, string>(database.EnvironmentVariables);
        foreach ((string name, string value) in variables)
        {
            all[name] = value;
        }

        return Start(environmentName, workingDirectory, all, extraArguments: []);
    }

    /// <summary>Starts the server binary <paramref name="webDll"/> (a published one) in <paramref name="workingDirectory"/>, in Production.</summary>
    public static ServerProcess StartBinary(string webDll, string workingDirectory, IReadOnlyDictionary<string, string> variables) =>
        Start("Production", workingDirectory, variables, extraArguments: [], webDll);

    /// <summary>Runs an operator command of the server binary (e.g. <c>db copy</c>) with the given environment.</summary>
    public static ServerProcess Run(string workingDirectory, IReadOnlyDictionary<string, string> variables, params string[] arguments) =>
        Start("Production", workingDirectory, variables, arguments);

    private static ServerProcess Start(
        string environmentName, string workingDirectory, IReadOnlyDictionary<string, string> variables, string[] extraArguments, string? webDll = null)
    {
        var environment = new Dictionary<string, string?> { ["ASPNETCORE_ENVIRONMENT"] = environmentName };
        foreach ((string name, string value) in variables)
        {
            environment[name] = value;
        }

        ProcessStartInfo info = ServerBinary.StartInfo(workingDirectory, environment,
            extraArguments.Length > 0 ? extraArguments : ["--urls", "http://127.0.0.1:0"], webDll);
        var process = new Process { StartInfo = info };
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => Append(server._stderr, e.Data);
        Assert.True(process.Start(), "the server process did not start");
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>The exit code, once the process has exited and its output has been read to the end.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the server did not exit within {timeout}.\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }

        return _process.ExitCode;
    }

    /// <summary>The address from "Now listening on: …"; fails if the process exits or stays silent first.</summary>
    public async Task<Uri> WaitUntilListeningAsync(TimeSpan timeout)
    {
        Task exited = _process.WaitForExitAsync();
        Task first = await Task.WhenAny(_listening.Task, exited, Task.Delay(timeout));
        Assert.True(first == _listening.Task,
            $"the server is not listening (exited: {_process.HasExited}).\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        return await _listening.Task;
    }

    /// <summary>Sends SIGTERM, as a service manager stops the server; <see cref="WaitForExitAsync"/> then gives its exit code.</summary>
    public void Terminate()
    {
        using Process kill = Process.Start("/bin/kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            ?? throw new InvalidOperationException("/bin/kill did not start");
        kill.WaitForExit();
        Assert.True(kill.ExitCode == 0, $"kill -TERM {_process.Id} exited with {kill.ExitCode}");
    }

    /// <summary>Stops the server (SIGKILL of the process and its children) and waits for it.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started: nothing to stop.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void OnOutput(string? line)
    {
        Append(_stdout, line);
        if (ServerBinary.ListeningAddress(line) is { } address)
        {
            _listening.TrySetResult(address);
        }
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }
}
