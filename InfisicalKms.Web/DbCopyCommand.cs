using InfisicalKms.Core.RootKeys;
using InfisicalKms.Core.Storage;

namespace InfisicalKms.Web;

/// <summary>
/// <c>dotnet InfisicalKms.Web.dll db copy …</c>: moves a stopped installation to the other database provider
/// (<see cref="DatabaseCopy"/>), run instead of the web host. The source is the database the server's own
/// configuration names; it exits 0 (copied and checked), 1 (refused or failed; nothing committed) or 2 (unknown arguments).
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
        2: unknown or incomplete arguments.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (!CommandArguments.TryParse(args, ["--to", "--target"], out CommandArguments parsed))
        {
            // Not repeated: they may hold the target's password.
            return await OperatorCommands.UsageErrorAsync("db: unknown or incomplete arguments.", Usage);
        }

        if (parsed.IsHelp)
        {
            await Console.Out.WriteLineAsync(Usage);
            return OperatorCommands.Ok;
        }

        if (!parsed.WordsAre("copy") || ParseProvider(parsed.Option("--to")) is not { } to)
        {
            return await OperatorCommands.UsageErrorAsync("db: unknown or incomplete arguments.", Usage);
        }

        string? target = parsed.Option("--target");
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;   // let the copy roll back and clean up rather than die halfway
            cancel.Cancel();
        };

        try
        {
            WebApplicationBuilder builder = OperatorCommands.CreateBuilder();
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
            return OperatorCommands.Ok;
        }
        catch (Exception e) when (e is RootKeyConfigurationException or DatabaseCopyException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return OperatorCommands.Refused;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("db copy was cancelled before it wrote anything.");
            return OperatorCommands.Refused;
        }
    }

    private static DatabaseProvider? ParseProvider(string? name) => name?.ToLowerInvariant() switch
    {
        "postgres" or "postgresql" => DatabaseProvider.Postgres,
        "sqlite" => DatabaseProvider.Sqlite,
        _ => null,
    };
}
