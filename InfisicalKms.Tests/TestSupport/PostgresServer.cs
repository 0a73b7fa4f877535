using System.Diagnostics;
using Npgsql;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>
/// A real PostgreSQL server for the test run: a throw-away cluster made with Debian's <c>initdb</c> in a
/// temporary folder, started with <c>pg_ctl</c> on a free loopback port, and stopped when the test process
/// exits. Each test host gets a database of its own (<see cref="CreateDatabaseAsync"/>).
/// </summary>
/// <remarks>
/// <para>
/// <c>./test.sh</c> installs Debian's <c>postgresql</c> when it is missing; without it these tests fail, they
/// never skip. As root, <c>initdb</c> refuses to run, so the cluster belongs to the <c>postgres</c> user
/// (platform-notes P20). The cluster trusts loopback connections: it is for this test run only.
/// </para>
/// <para><c>fsync=off</c>: the cluster dies with the run, and no test here is about the machine losing power.</para>
/// </remarks>
public sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);
    private static int _databases;

    private PostgresServer(string directory, int port)
    {
        Directory = directory;
        Port = port;
    }

    public string Directory { get; }

    public int Port { get; }

    /// <summary>The connection string of the maintenance database, as the cluster's superuser.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    /// <summary>The run's server, started on first use.</summary>
    public static Task<PostgresServer> GetAsync() => Shared.Value;

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username=postgres;Maximum Pool Size=40";

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        string name = $"kms_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing whatever still uses it.</summary>
    public async Task DropDatabaseAsync(string connectionString)
    {
        string name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    private static async Task<PostgresServer> StartAsync()
    {
        string bin = FindBinaries();
        string directory = Path.Combine(Path.GetTempPath(), $"kms-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        System.IO.Directory.CreateDirectory(directory);
        bool root = Environment.UserName == "root";
        if (root)
        {
            await RunAsync("chown", ["postgres", directory], asPostgres: false);
        }

        await RunAsync(Path.Combine(bin, "initdb"), ["-D", Path.Combine(directory, "db"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"], root);
        int port = LoopbackPort.Free();
        string options = $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off";
        await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", Path.Combine(directory, "db"), "-o", options, "-l", Path.Combine(directory, "log"), "-w", "start"], root);
        var server = new PostgresServer(directory, port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop(bin, root);
        return server;
    }

    private void Stop(string bin, bool root)
    {
        try
        {
            RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", Path.Combine(Directory, "db"), "-m", "immediate", "stop"], root).GetAwaiter().GetResult();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception)
        {
            // Exiting anyway; a cluster left behind is in the temp folder.
        }
    }

    /// <summary>The newest installed server's binaries (Debian keeps them off PATH, per major version).</summary>
    private static string FindBinaries()
    {
        string? bin = System.IO.Directory.Exists("/usr/lib/postgresql")
            ? System.IO.Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out int v) ? v : 0)
                .FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); ./test.sh installs Debian's postgresql.");
    }

    private static async Task RunAsync(string program, string[] arguments, bool asPostgres)
    {
        var info = new ProcessStartInfo(asPostgres ? "runuser" : program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asPostgres)
        {
            foreach (string a in (string[])["-u", "postgres", "--", program])
            {
                info.ArgumentList.Add(a);
            }
        }

        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }
}
