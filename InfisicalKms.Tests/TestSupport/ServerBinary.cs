using System.Diagnostics;
using System.Text.RegularExpressions;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>
/// How every test starts the real server binary (<c>dotnet InfisicalKms.Web.dll</c>) as a child process: the
/// one place that decides its command line, what it inherits from the test runner, and how its address is read.
/// Both launchers (<see cref="Web.Startup.ServerProcess"/> and the HSM suite's <c>KmsInstallation</c>) start
/// through here, so they cannot drift apart.
/// </summary>
/// <remarks>
/// Child processes get a clean environment: every wrapping-key, HSM, database and KMS variable of the test
/// process is removed, then the test's own are set. A value of null removes a variable.
/// </remarks>
public static partial class ServerBinary
{
    private static readonly string[] InheritedPrefixes =
        ["HSM_", "SOFTHSM2_", "ENCRYPTION_KEY", "ROOT_ENCRYPTION_KEY", "NEW_", "Kms__", "ConnectionStrings__", "Logging__", "ASPNETCORE_", "DOTNET_ENVIRONMENT", "KMS_"];

    /// <summary>A start of the binary in <paramref name="workingDirectory"/>, in Production unless the variables say otherwise.</summary>
    /// <param name="webDll">The server to start: the build output next to the tests when null, else e.g. a published one.</param>
    public static ProcessStartInfo StartInfo(
        string workingDirectory, IEnumerable<KeyValuePair<string, string?>> variables, IEnumerable<string> arguments, string? webDll = null)
    {
        webDll ??= Path.Combine(AppContext.BaseDirectory, "InfisicalKms.Web.dll");
        Assert.True(File.Exists(webDll), $"server binary not found at {webDll}");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(webDll);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string name in start.Environment.Keys.Where(k => InheritedPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // The tests read these lines ("Now listening on", root-key creation, warnings), whatever appsettings.json says.
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        start.Environment["Logging__LogLevel__InfisicalKms"] = "Information";
        foreach ((string name, string? value) in variables)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return start;
    }

    /// <summary>Starts it, with standard input closed (the server never reads it).</summary>
    public static Process Start(ProcessStartInfo start)
    {
        Process process = Process.Start(start) ?? throw new InvalidOperationException("the server process did not start");
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Kestrel's "Now listening on: …" line; its first group is the address.</summary>
    public static Regex ListeningLine => ListeningOn();

    /// <summary>The address in Kestrel's "Now listening on: …" line, or null for any other line.</summary>
    public static Uri? ListeningAddress(string? line) =>
        line is not null && ListeningOn().Match(line) is { Success: true } match ? new Uri(match.Groups["url"].Value) : null;

    [GeneratedRegex(@"Now listening on: (?<url>https?://\S+)")]
    private static partial Regex ListeningOn();
}
