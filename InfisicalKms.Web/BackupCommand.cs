using InfisicalKms.Core.RootKeys;
using InfisicalKms.Core.Storage;

namespace InfisicalKms.Web;

/// <summary>
/// <c>dotnet InfisicalKms.Web.dll backup --to FILE</c>: a consistent copy of the installation's SQLite database,
/// taken while the server runs (<see cref="SqliteBackup"/>). Exits 0 (written and checked), 1 (refused or
/// failed; no file written) or 2 (unknown arguments).
/// </summary>
internal static class BackupCommand
{
    public const string Usage = """
        Usage: dotnet InfisicalKms.Web.dll backup --to <file>

        Copies the installation's SQLite database (ConnectionStrings:Kms) into a new file while the server keeps
        serving: SQLite's VACUUM INTO, one consistent snapshot. Run it with the server's configuration
        (appsettings.json, environment) from the server's working directory. The copy is checked (SQLite's
        integrity check) before it gets its name, and an existing file is never overwritten.

        The file holds every key and the sign-in key ring wrapped by the root key, and the audit log. Keep the
        root key's wrapping key as well (ENCRYPTION_KEY, ROOT_ENCRYPTION_KEY or the HSM's key), apart from the
        file: without it the backup opens nothing. PostgreSQL installations are backed up with pg_dump.

        Exit code 0: written and checked. 1: refused or failed; no file was written. 2: unknown arguments.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (!CommandArguments.TryParse(args, ["--to"], out CommandArguments parsed)
            || (!parsed.IsHelp && (parsed.Words.Count > 0 || parsed.Option("--to") is not { Length: > 0 })))
        {
            return await OperatorCommands.UsageErrorAsync($"backup: unknown or incomplete arguments: {string.Join(' ', args)}", Usage);
        }

        if (parsed.IsHelp)
        {
            await Console.Out.WriteLineAsync(Usage);
            return OperatorCommands.Ok;
        }

        using CancellationTokenSource cancel = OperatorCommands.CancelOnCtrlC();
        try
        {
            StorageLocation source = StorageLocation.From(OperatorCommands.CreateBuilder().Configuration);
            SqliteBackupResult backup = await SqliteBackup.BackupAsync(source, parsed.Option("--to")!, cancel.Token);
            await Console.Out.WriteLineAsync(
                $"Backed up {DatabaseCopy.Describe(source)} to {backup.Path}: {backup.Bytes:N0} bytes, {backup.Keys:N0} keys, " +
                $"{backup.AuditRecords:N0} audit records; SQLite's integrity check passed.");
            await Console.Out.WriteLineAsync(
                "Keep the root key's wrapping key (ENCRYPTION_KEY, ROOT_ENCRYPTION_KEY or the HSM's key) as well, stored apart from the backup.");
            return OperatorCommands.Ok;
        }
        catch (Exception e) when (e is SqliteBackupException or RootKeyConfigurationException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return OperatorCommands.Refused;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("backup was cancelled; no file was written.");
            return OperatorCommands.Refused;
        }
    }
}
