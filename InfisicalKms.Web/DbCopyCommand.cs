using InfisicalKms.Core.RootKeys;
using InfisicalKms.Core.Storage;

namespace InfisicalKms.Web;

/// <summary>
/// <c>dotnet InfisicalKms.Web.dll db copy …</c>: moves a stopped installation to the other database provider
/// (<see cref="DatabaseCopy"/>), run instead of the web host. The source is the database the server's own
/// configuration names; it exits 0 (copied and checked) or 1 (refused or failed; nothing committed).
/// </summary>
internal static class DbCopyCommand
{
    /// <summary>The target's connection string may come from here instead of the command line, which every user of the machine can read.</summary>
    public const string TargetVariable = "KMS_DB_COPY_TARGET";

    public const string Usage = """
        Usage: dotnet InfisicalKms.Web.dll db copy --to <postgres|sqlite> [--target "<connection string>"]

        Copies the installation's database (Kms:Database:Provider, ConnectionStrings:Kms) into an empty database
        of the other provider. Run it while the server is stopped, with the server's configuration
        (appsettings.json, environment). The source is only read. Key material is copied still wrapped by the
        root key: start the server on the copy with the same ENCRYPTION_KEY, ROOT_ENCRYPTION_KEY or HSM.

        Options:
          --to postgres     from SQLite to PostgreSQL, e.g. --target "Host=db.internal;Database=kms;Username=kms"
          --to sqlite       from PostgreSQL to SQLite, e.g. --target "Data Source=/var/lib/kms/kms.db"
          --target <cs>     the target's connection string; or set KMS_DB_COPY_TARGET instead, so that a
                            password does not appear in the process list
          help              show this text

        The target must be empty: a PostgreSQL database with no tables, or an SQLite file that does not exist yet.
        It is migrated, filled in one transaction, and checked (rows per table, every audit chain) before commit.

        Exit code 0: copied and checked. 1: refused or failed; nothing was committed to the target.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["help"] or ["--help"] or ["-h"] or ["copy", "--help"] or ["copy", "-h"])
        {
            await Console.Out.WriteLineAsync(Usage);
            return 0;
        }

        if (!TryParse(args, out DatabaseProvider to, out string? target))
        {
            // Not repeated: they may hold the target's password.
            await Console.Error.WriteLineAsync($"db: unknown or incomplete arguments.\n\n{Usage}");
            return 1;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;   // let the copy roll back and clean up rather than die halfway
            cancel.Cancel();
        };

        try
        {
            // The server's configuration sources (Program.cs); the command's own arguments are not settings.
            WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
            builder.Configuration
                .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false)
                .AddEnvironmentVariables();
            StorageLocation source = StorageLocation.From(builder.Configuration);
            string setting = target is null ? TargetVariable : "--target";
            target ??= builder.Configuration[TargetVariable];
            if (string.IsNullOrWhiteSpace(target))
            {
                throw new RootKeyConfigurationException($"db copy needs the target's connection string: --target \"...\" or the environment variable {TargetVariable}.");
            }

            StorageLocation destination = to == DatabaseProvider.Postgres
                ? StorageLocation.Postgres(target, setting)
                : StorageLocation.Sqlite(target, setting);
            await Console.Out.WriteLineAsync($"Copying {DatabaseCopy.Describe(source)} to {DatabaseCopy.Describe(destination)}.");
            DatabaseCopyResult result = await DatabaseCopy.CopyAsync(source, destination, setting,
                table => Console.Out.WriteLine($"  {table.Table,-22} {table.Copied,10:N0} rows"), cancel.Token);
            foreach (string warning in result.Warnings)
            {
                await Console.Error.WriteLineAsync($"Warning: {warning}");
            }

            string broken = result.Warnings.Count > 0 ? $"; {result.Warnings.Count} already broken in the source, copied as they are" : "";
            await Console.Out.WriteLineAsync(
                $"Copied {result.Tables.Count} tables, {result.Rows:N0} rows; row counts match the source. " +
                $"{result.ChainsVerified} audit chains verified ({result.AuditRecordsVerified:N0} records){broken}.");
            await Console.Out.WriteLineAsync(
                $"Start the server with {StorageLocation.ProviderKey}={destination.Provider}, {StorageLocation.ConnectionStringKey} set to the target, and the same root key.");
            return 0;
        }
        catch (Exception e) when (e is RootKeyConfigurationException or DatabaseCopyException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 1;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("db copy was cancelled before it wrote anything.");
            return 1;
        }
    }

    /// <summary><c>copy --to X [--target Y]</c>, options in either order and also as <c>--to=X</c>.</summary>
    private static bool TryParse(string[] args, out DatabaseProvider to, out string? target)
    {
        to = default;
        target = null;
        string? provider = null;
        if (args is not ["copy", ..])
        {
            return false;
        }

        for (int i = 1; i < args.Length; i++)
        {
            (string name, string? value) = args[i].Split('=', 2) switch
            {
                [var n, var v] when n.StartsWith("--", StringComparison.Ordinal) => (n, v),
                _ => (args[i], i + 1 < args.Length ? args[++i] : null),
            };
            switch (name)
            {
                case "--to" when value is not null && provider is null:
                    provider = value;
                    break;
                case "--target" when value is not null && target is null:
                    target = value;
                    break;
                default:
                    return false;
            }
        }

        (bool known, to) = provider?.ToLowerInvariant() switch
        {
            "postgres" or "postgresql" => (true, DatabaseProvider.Postgres),
            "sqlite" => (true, DatabaseProvider.Sqlite),
            _ => (false, default),
        };
        return known;
    }
}
