using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>
/// Debian's nginx (<c>/usr/sbin/nginx</c>) in front of server instances, running the example an operator
/// ships, <c>deploy/nginx/infisical-kms.conf</c>, included in an <c>http {}</c> block as the operator would.
/// Only what differs per machine is replaced (<see cref="Render"/>): the instances in the upstream blocks,
/// the listen port and the log folder. Every other line is the shipped file's, so the tests prove the example
/// and the example cannot drift from what was tested.
/// </summary>
/// <remarks>
/// nginx runs as an ordinary foreground process (<c>daemon off</c>) with its own prefix, pid file, temporary
/// paths and logs in a temporary folder, on a free loopback port; the system's nginx service is never used.
/// Without nginx the tests fail, they never skip: <c>./test.sh</c> installs Debian's <c>nginx</c>.
/// </remarks>
public sealed partial class NginxProxy : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/nginx";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();

    private NginxProxy(Process process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
    }

    /// <summary>The shipped example configuration.</summary>
    public static string ShippedConfiguration => Path.Combine(ExternalTools.RepositoryRoot(), "deploy", "nginx", "infisical-kms.conf");

    /// <summary>Where browsers and API clients reach nginx: <c>http://127.0.0.1:port/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The example's access log, in its <c>infisical_kms</c> format (instance and affinity of each request).</summary>
    public string AccessLogPath => Path.Combine(_directory, "logs", "infisical-kms.access.log");

    public string ErrorLog => ReadOrEmpty(Path.Combine(_directory, "logs", "error.log"));

    /// <summary>
    /// Renders the shipped configuration for <paramref name="instances"/>, checks it with <c>nginx -t</c> and
    /// starts nginx; returns once nginx accepts connections.
    /// </summary>
    public static async Task<NginxProxy> StartAsync(IReadOnlyList<Uri> instances)
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: install it with `apt-get install nginx` (test.sh does). These tests never skip.");
        string directory = Path.Combine(Path.GetTempPath(), "kms-nginx-" + Guid.NewGuid().ToString("N"));
        string logs = Path.Combine(directory, "logs");
        Directory.CreateDirectory(logs);
        Directory.CreateDirectory(Path.Combine(directory, "temp"));
        int port = LoopbackPort.Free();
        string site = Path.Combine(directory, "infisical-kms.conf");
        string main = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(site, Render(await File.ReadAllTextAsync(ShippedConfiguration), instances, port, logs));
        await File.WriteAllTextAsync(main, MainConfiguration(directory, site));

        // nginx -t first: a shipped file nginx refuses fails here with nginx's own words.
        ToolResult check = await ExternalTools.RunAsync(Binary, [.. Arguments(directory), "-t"]);
        Assert.True(check.ExitCode == 0, $"nginx -t refused the rendered example ({site}):\n{check.Output}");

        var info = new ProcessStartInfo(Binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (string argument in Arguments(directory))
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        Assert.True(process.Start(), "nginx did not start");
        var proxy = new NginxProxy(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => proxy.Append(e.Data);
        process.ErrorDataReceived += (_, e) => proxy.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await proxy.WaitUntilListeningAsync(port);
            return proxy;
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The shipped site configuration with the machine's values: each run of <c>server host:port …;</c> lines
    /// in an upstream block becomes one line per instance with the same parameters (<c>max_fails</c> …),
    /// <c>listen 80;</c> becomes the loopback port, and <c>/var/log/nginx/</c> the test's log folder.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file no longer has those lines: the test would otherwise
    /// run a configuration other than the one shipped.</exception>
    public static string Render(string shipped, IReadOnlyList<Uri> instances, int port, string logDirectory)
    {
        var rendered = new StringBuilder();
        int upstreams = 0, listens = 0, logs = 0;
        bool inServerRun = false;
        foreach (string line in shipped.Split('\n'))
        {
            if (UpstreamServerLine().Match(line) is { Success: true } server)
            {
                if (!inServerRun)
                {
                    upstreams++;
                    foreach (Uri instance in instances)
                    {
                        rendered.Append(server.Groups["indent"].Value).Append("server ").Append(instance.Authority)
                            .Append(server.Groups["parameters"].Value).Append(";\n");
                    }
                }

                inServerRun = true;
                continue;
            }

            inServerRun = false;
            string output = line;
            if (ListenLine().IsMatch(output))
            {
                listens++;
                output = ListenLine().Replace(output, $"${{indent}}listen 127.0.0.1:{port};");
            }

            if (output.TrimStart().StartsWith("access_log /var/log/nginx/", StringComparison.Ordinal))
            {
                logs++;
                output = output.Replace("/var/log/nginx/", logDirectory.TrimEnd('/') + "/", StringComparison.Ordinal);
            }

            rendered.Append(output).Append('\n');
        }

        if (upstreams != 2 || listens != 1 || logs != 1)
        {
            throw new InvalidOperationException(
                $"{ShippedConfiguration} changed shape: {upstreams} upstream server lists (2 expected), {listens} `listen 80;` (1), " +
                $"{logs} access_log under /var/log/nginx/ (1). Update NginxProxy.Render with it.");
        }

        return rendered.ToString().TrimEnd('\n') + "\n";
    }

    /// <summary>The lines of the access log, parsed (<c>log_format infisical_kms</c> of the example).</summary>
    public IReadOnlyList<AccessLogEntry> ReadAccessLog() =>
        [.. ReadOrEmpty(AccessLogPath).Split('\n').Select(line => AccessLogLine().Match(line)).Where(m => m.Success).Select(m => new AccessLogEntry(
            m.Groups["method"].Value, m.Groups["target"].Value, int.Parse(m.Groups["status"].Value, System.Globalization.CultureInfo.InvariantCulture),
            m.Groups["upstream"].Value, m.Groups["affinity"].Value))];

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // Fast shutdown by the pid file, which stops the workers too; a kill of the tree if it hangs.
                await ExternalTools.RunAsync(Binary, [.. Arguments(_directory), "-s", "stop"], timeout: TimeSpan.FromSeconds(10));
                using var expiry = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await _process.WaitForExitAsync(expiry.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
        }
        finally
        {
            _process.Dispose();
            CoreProcess.DeleteDirectory(_directory);
        }
    }

    public override string ToString() => $"nginx at {Address}\noutput:\n{Output}\nerror.log:\n{ErrorLog}";

    private string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private static string[] Arguments(string directory) =>
        ["-p", directory + "/", "-c", Path.Combine(directory, "nginx.conf"), "-e", Path.Combine(directory, "logs", "error.log")];

    /// <summary>The operator's nginx.conf, reduced to what a private, foreground nginx needs.</summary>
    private static string MainConfiguration(string directory, string site)
    {
        string temp = Path.Combine(directory, "temp");
        return $$"""
            daemon off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/logs/error.log notice;

            events {
                worker_connections 512;
            }

            http {
                client_body_temp_path {{temp}}/body;
                proxy_temp_path {{temp}}/proxy;
                fastcgi_temp_path {{temp}}/fastcgi;
                uwsgi_temp_path {{temp}}/uwsgi;
                scgi_temp_path {{temp}}/scgi;
                access_log {{directory}}/logs/access.log;

                include {{site}};
            }

            """;
    }

    private async Task WaitUntilListeningAsync(int port)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(_process.HasExited, $"nginx exited with {(_process.HasExited ? _process.ExitCode : 0)}.\n{this}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < StartTimeout)
            {
                await Task.Delay(100);
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static string ReadOrEmpty(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    [GeneratedRegex(@"^(?<indent>\s*)server\s+[^\s{;]+:\d+(?<parameters>[^;#]*);\s*$")]
    private static partial Regex UpstreamServerLine();

    [GeneratedRegex(@"^(?<indent>\s*)listen\s+80;")]
    private static partial Regex ListenLine();

    [GeneratedRegex("""\[[^\]]*\] "(?<method>\S+) (?<target>\S+)[^"]*" (?<status>\d{3}) \d+ upstream=(?<upstream>.*?) affinity=(?<affinity>\S*) """)]
    private static partial Regex AccessLogLine();
}

/// <summary>One request in nginx's access log: which instance served it, and the browser it was pinned for.</summary>
public sealed record AccessLogEntry(string Method, string Target, int Status, string Upstream, string Affinity);
