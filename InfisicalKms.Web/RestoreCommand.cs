using System.Security.Cryptography;
using System.Xml;
using System.Xml.Linq;
using InfisicalKms.Core;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.RootKeys;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Web;

/// <summary>
/// <c>dotnet InfisicalKms.Web.dll restore --from FILE</c>: a backup into a new SQLite installation, checked with
/// the configured root key before it is put in place (<see cref="SqliteBackup"/>, <see cref="InstallationCheck"/>).
/// Exits 0 (restored and checked), 1 (refused or failed; nothing written) or 2 (unknown arguments).
/// </summary>
internal static class RestoreCommand
{
    public const string Usage = """
        Usage: dotnet InfisicalKms.Web.dll restore --from <file>

        Restores a file made by backup as the installation's SQLite database (ConnectionStrings:Kms; a relative
        Data Source is resolved against the working directory). Run it with the configuration the server will
        start with, root key included (ENCRYPTION_KEY, ROOT_ENCRYPTION_KEY or the HSM), while no server runs there.
        The database must not exist yet: restore never replaces one.

        The copy is checked before it is put in place: SQLite's integrity check, the root key unwraps with the
        configured wrapping key, every audit chain verifies, a sample of key versions and every sign-in key
        unwrap under the root key. A copy that fails any check is removed again. PostgreSQL: use pg_restore.

        Exit code 0: restored and checked. 1: refused or failed; nothing was written. 2: unknown arguments.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (!CommandArguments.TryParse(args, ["--from"], out CommandArguments parsed)
            || (!parsed.IsHelp && (parsed.Words.Count > 0 || parsed.Option("--from") is not { Length: > 0 })))
        {
            return await OperatorCommands.UsageErrorAsync($"restore: unknown or incomplete arguments: {string.Join(' ', args)}", Usage);
        }

        if (parsed.IsHelp)
        {
            await Console.Out.WriteLineAsync(Usage);
            return OperatorCommands.Ok;
        }

        using CancellationTokenSource cancel = OperatorCommands.CancelOnCtrlC();
        try
        {
            StorageLocation target = StorageLocation.From(OperatorCommands.CreateBuilder().Configuration);
            InstallationCheckResult? check = null;
            int signInKeys = 0;
            string restored = await SqliteBackup.RestoreAsync(parsed.Option("--from")!, target,
                async (copy, ct) => (check, signInKeys) = await CheckAsync(copy, ct), cancel.Token);
            await Console.Out.WriteLineAsync(
                $"Restored {Path.GetFullPath(parsed.Option("--from")!)} to {restored}. Checked: SQLite's integrity, the root key, " +
                $"{check!.Chains} audit chains ({check.AuditRecords:N0} records), {check.KeyVersionsOpened:N0} of {check.KeyVersions:N0} key versions " +
                $"and {signInKeys} sign-in keys unwrapped. Start the server with this configuration.");
            return OperatorCommands.Ok;
        }
        catch (Exception e) when (e is SqliteBackupException or RootKeyConfigurationException or IOException or UnauthorizedAccessException)
        {
            string nothing = e.Message.Contains("nothing was changed", StringComparison.OrdinalIgnoreCase) ? "" : " Nothing was changed.";
            await Console.Error.WriteLineAsync(e.Message + nothing);
            return OperatorCommands.Refused;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("restore was cancelled; nothing was written.");
            return OperatorCommands.Refused;
        }
    }

    /// <summary>The copy opened as the server will open it, with the configured root key.</summary>
    private static async Task<(InstallationCheckResult, int)> CheckAsync(string connectionString, CancellationToken ct)
    {
        WebApplicationBuilder builder = OperatorCommands.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [StorageLocation.ProviderKey] = nameof(DatabaseProvider.Sqlite),
            [StorageLocation.ConnectionStringKey] = connectionString,
        });
        builder.Services.AddKmsCore(builder.Configuration, builder.Environment);
        await using WebApplication app = builder.Build();
        InstallationCheckResult check = await InstallationCheck.RunAsync(app.Services, ct);
        return (check, await OpenSignInKeysAsync(app.Services, ct));
    }

    /// <summary>
    /// The Data Protection key ring travels in the database, each key sealed by the root key
    /// (<see cref="RootKeyXmlEncryptor"/>): every one must open, or sign-in cookies would not survive the restore.
    /// </summary>
    private static async Task<int> OpenSignInKeysAsync(IServiceProvider services, CancellationToken ct)
    {
        EnvelopeEncryptor envelope = services.GetRequiredService<EnvelopeEncryptor>();
        await using KmsDbContext db = await services.GetRequiredService<IDbContextFactory<KmsDbContext>>().CreateDbContextAsync(ct);
        List<string?> ring = await db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml).ToListAsync(ct);
        int opened = 0;
        foreach (string? xml in ring)
        {
            try
            {
                XElement? sealedKey = XElement.Parse(xml ?? "").Descendants("sealedByRootKey").FirstOrDefault();
                if (sealedKey is not null)
                {
                    CryptographicOperations.ZeroMemory(envelope.Open(RootKeyXmlEncryptor.Purpose, Convert.FromBase64String(sealedKey.Value)));
                    opened++;
                }
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or XmlException)
            {
                throw new SqliteBackupException("A sign-in key (DataProtectionKeys) does not open under the root key: the backup was modified.", e);
            }
        }

        return opened;
    }
}
