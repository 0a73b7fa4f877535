namespace InfisicalKms.Tests.Web.Hsm;

/// <summary>The root-key command's usage and its refusals that need no HSM (spec §11.7).</summary>
public sealed class RootKeyCommandTests
{
    [Fact]
    public async Task RootKey_UnknownArguments_PrintsUsageAndExitsWithTwo()
    {
        using var installation = new KmsInstallation();

        ProcessResult result = await installation.RunCommandAsync(new Dictionary<string, string?>(), "root-key", "migrate", "--to", "cloud");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("root-key: unknown arguments: migrate --to cloud", result.StandardError);
        Assert.Contains("Usage: dotnet InfisicalKms.Web.dll root-key <action>", result.StandardError);
    }

    [Fact]
    public async Task RootKey_Help_PrintsUsageAndExitsWithZero()
    {
        using var installation = new KmsInstallation();

        ProcessResult result = await installation.RunCommandAsync(new Dictionary<string, string?>(), "root-key", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("migrate --to hsm", result.StandardOutput);
        Assert.Contains("rotate-env-key", result.StandardOutput);
    }

    [Fact]
    public async Task RootKey_RotateWithoutStoredRootKey_RefusesAndCreatesNothing()
    {
        using var installation = new KmsInstallation();
        var variables = new Dictionary<string, string?>
        {
            ["ENCRYPTION_KEY"] = "0123456789abcdef0123456789abcdef",
            ["NEW_ENCRYPTION_KEY"] = "fedcba9876543210fedcba9876543210",
        };

        ProcessResult result = await installation.RunCommandAsync(variables, "root-key", "rotate-env-key");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("There is no root key yet: start the server once to create it, then run this command.", result.StandardError);
        Assert.DoesNotContain("0123456789abcdef0123456789abcdef", result.Output);
    }

    [Fact]
    public async Task RootKey_RotateWithMalformedNewKey_NamesTheVariable()
    {
        using var installation = new KmsInstallation();
        var variables = new Dictionary<string, string?>
        {
            ["ENCRYPTION_KEY"] = "0123456789abcdef0123456789abcdef",
            ["NEW_ROOT_ENCRYPTION_KEY"] = "c2hvcnQ=",
        };

        ProcessResult result = await installation.RunCommandAsync(variables, "root-key", "rotate-env-key");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("NEW_ROOT_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes.", result.StandardError);
    }
}
