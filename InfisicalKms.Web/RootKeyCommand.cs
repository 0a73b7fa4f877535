using InfisicalKms.Core;
using InfisicalKms.Core.RootKeys;

namespace InfisicalKms.Web;

/// <summary>
/// <c>dotnet InfisicalKms.Web.dll root-key …</c>: the operator command of spec §11.7, run instead of the
/// web host. It reads the same configuration as the server, applies migrations, runs one action of
/// <see cref="RootKeyRewrapper"/> and exits 0 (done, or already in place), 1 (refused; nothing changed) or 2 (unknown arguments).
/// </summary>
internal static class RootKeyCommand
{
    public const string Usage = """
        Usage: dotnet InfisicalKms.Web.dll root-key <action>

        Re-wraps the instance root key under another wrapping key. Stored key material is never touched.
        Run it while the server is stopped, with the server's configuration (appsettings.json, environment).

        Actions:
          migrate --to hsm        wrap it with the HSM (HSM_LIB_PATH, HSM_PIN, HSM_KEY_LABEL, and
                                  HSM_TOKEN_LABEL or HSM_SLOT); generates the HSM keys if the token has none
          migrate --to software   wrap it with ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY
          rotate-env-key          wrap it with NEW_ENCRYPTION_KEY or NEW_ROOT_ENCRYPTION_KEY instead of the
                                  current ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY
          status                  show how the stored root key is wrapped
          help                    show this text

        Exit code 0: done, or the target was already in place. 1: refused or failed; the stored wrap is unchanged.
        2: unknown arguments.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        string? action = null;
        if (CommandArguments.TryParse(args, ["--to"], out CommandArguments parsed))
        {
            action = parsed switch
            {
                { IsHelp: true } => "help",
                _ when parsed.WordsAre("migrate") && parsed.Option("--to") == "hsm" => "to-hsm",
                _ when parsed.WordsAre("migrate") && parsed.Option("--to") == "software" => "to-software",
                _ when parsed.Options.Count > 0 => null,
                _ when parsed.WordsAre("rotate-env-key") => "rotate",
                _ when parsed.WordsAre("status") => "status",
                _ => null,
            };
        }

        if (action is null)
        {
            return await OperatorCommands.UsageErrorAsync($"root-key: unknown arguments: {string.Join(' ', args)}", Usage);
        }

        if (action == "help")
        {
            await Console.Out.WriteLineAsync(Usage);
            return OperatorCommands.Ok;
        }

        try
        {
            WebApplicationBuilder builder = OperatorCommands.CreateBuilder();
            builder.Services.AddKmsCore(builder.Configuration, builder.Environment);
            await using WebApplication app = builder.Build();
            CancellationToken ct = app.Lifetime.ApplicationStopping;
            app.Services.ValidateKmsSettings();   // every bad setting at once, as the server reports them
            await app.Services.MigrateKmsDatabaseAsync(ct);   // on PostgreSQL under the same lock as start-up

            RootKeyRewrapper rewrapper = app.Services.GetRequiredService<RootKeyRewrapper>();
            string message = action switch
            {
                "to-hsm" => (await rewrapper.MigrateToHsmAsync(ct)).Message,
                "to-software" => (await rewrapper.MigrateToSoftwareAsync(ct)).Message,
                "rotate" => (await RotateAsync(rewrapper, builder.Configuration, app.Logger, ct)).Message,
                _ => await rewrapper.DescribeAsync(ct),
            };
            await Console.Out.WriteLineAsync(message);
            return OperatorCommands.Ok;
        }
        catch (Exception refusal) when (StartupRefusal.Reasons(refusal) is { } reasons)
        {
            foreach (string reason in reasons)
            {
                await Console.Error.WriteLineAsync(reason);
            }

            return OperatorCommands.Refused;
        }
    }

    private static async Task<RootKeyRewrapResult> RotateAsync(RootKeyRewrapper rewrapper, IConfiguration configuration, ILogger logger, CancellationToken ct)
    {
        byte[] newKey = RootKeySettings.ReadNewEnvironmentKey(configuration, out string? variable, out bool bothSet)
            ?? throw new RootKeyConfigurationException("rotate-env-key needs the new key: set NEW_ENCRYPTION_KEY or NEW_ROOT_ENCRYPTION_KEY.");
        try
        {
            if (bothSet)
            {
                logger.LogWarning("Both NEW_ENCRYPTION_KEY and NEW_ROOT_ENCRYPTION_KEY are set; NEW_ENCRYPTION_KEY wins.");
            }

            return await rewrapper.RotateEnvironmentKeyAsync(newKey, variable!, ct);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(newKey);
        }
    }
}
