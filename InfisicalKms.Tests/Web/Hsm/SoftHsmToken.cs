using System.Diagnostics;
using System.Security.Cryptography;

namespace InfisicalKms.Tests.Web.Hsm;

/// <summary>
/// A throw-away SoftHSM2 token: its own configuration file and token folder under a temporary directory,
/// initialised with <c>softhsm2-util</c>, and the variables that point a child process at it.
/// </summary>
/// <remarks>
/// SoftHSM reads <c>SOFTHSM2_CONF</c> with native <c>getenv</c>, so it must be in the real environment of
/// the process that loads the library (platform-notes P2): every child process gets it from
/// <see cref="Variables"/>. Fails, never skips, when SoftHSM2 is not installed (./test.sh installs it).
/// </remarks>
public sealed class SoftHsmToken : IDisposable
{
    public const string LibraryPath = "/usr/lib/softhsm/libsofthsm2.so";

    private SoftHsmToken(string directory, string label)
    {
        Directory = directory;
        Label = label;
    }

    public string Directory { get; }

    public string ConfigPath => Path.Combine(Directory, "softhsm2.conf");

    public string Label { get; }

    /// <summary>Distinctive, so that a test can assert it never shows up in any output.</summary>
    public string Pin { get; } = "pin-" + RandomNumberGenerator.GetHexString(16, lowercase: true);

    public static async Task<SoftHsmToken> CreateAsync(string label = "kms")
    {
        Assert.True(File.Exists(LibraryPath),
            $"SoftHSM2 is not installed ({LibraryPath} is missing). Install it with 'apt-get install -y softhsm2'; ./test.sh does.");
        string directory = Path.Combine(Path.GetTempPath(), "kms-softhsm-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "tokens"));
        var token = new SoftHsmToken(directory, label);
        await File.WriteAllTextAsync(token.ConfigPath, $"""
            directories.tokendir = {Path.Combine(directory, "tokens")}
            objectstore.backend = file
            log.level = ERROR
            slots.removable = false
            slots.mechanisms = ALL
            library.reset_on_fork = false

            """);
        string soPin = RandomNumberGenerator.GetHexString(16, lowercase: true);
        await token.UtilAsync("--init-token", "--free", "--label", label, "--pin", token.Pin, "--so-pin", soPin);
        return token;
    }

    /// <summary>The HSM variables of a server or command using this token (selected by its label).</summary>
    public Dictionary<string, string?> Variables(string keyLabel = "kms-root") => new()
    {
        ["SOFTHSM2_CONF"] = ConfigPath,
        ["HSM_LIB_PATH"] = LibraryPath,
        ["HSM_PIN"] = Pin,
        ["HSM_KEY_LABEL"] = keyLabel,
        ["HSM_TOKEN_LABEL"] = Label,
    };

    /// <summary>Deletes the token, as pulling it out of its slot would: its objects are gone with it.</summary>
    public Task DeleteAsync() => UtilAsync("--delete-token", "--token", Label);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp folder's own clean-up; never fail a test on it.
        }
    }

    private async Task UtilAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("softhsm2-util") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SOFTHSM2_CONF"] = ConfigPath;
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"softhsm2-util {arguments[0]} exited with {process.ExitCode}: {await output}{await error}");
    }
}
