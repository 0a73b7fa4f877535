using InfisicalKms.Core;
using InfisicalKms.Core.RootKeys;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace InfisicalKms.Tests.Core.RootKeys;

/// <summary>The Development key file <c>root-encryption-key.dev</c> (spec §11.3, §11.6).</summary>
/// <remarks>SQLite only: the development key file lives beside the SQLite file; on PostgreSQL it is data/ under the working directory.</remarks>
[Trait("Category", "SqliteOnly")]
public sealed class DevelopmentKeyFileTests : RootKeyStartupFixture
{
    private string DevFileWarning =>
        "DEVELOPMENT ONLY: no ENCRYPTION_KEY, ROOT_ENCRYPTION_KEY or HSM is configured. " +
        $"Using the local root encryption key file {Instance.DevKeyFilePath}. Never use this outside development.";

    private string DevFileRefusal =>
        $"The development key file {Instance.DevKeyFilePath} cannot decrypt the stored root key. " +
        "Set the ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY the instance was initialised with.";

    [Fact]
    public async Task InitializeKmsAsync_DevelopmentWithoutKeys_CreatesOwnerOnlyKeyFileInDataDirectory()
    {
        ServiceProvider provider = await StartAsync(Environments.Development);

        Assert.True(File.Exists(Instance.DevKeyFilePath), $"expected {Instance.DevKeyFilePath}");
        Assert.Equal(Instance.DataDirectory, Path.GetDirectoryName(Instance.DevKeyFilePath));
        string text = await File.ReadAllTextAsync(Instance.DevKeyFilePath, Ct);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.False(text.EndsWith("\r\n", StringComparison.Ordinal));
        Assert.Equal(32, Convert.FromBase64String(text[..^1]).Length);
        Assert.Equal(45, text.Length);   // 44 base64 characters + LF
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Instance.DevKeyFilePath));
        }

        RootKey rootKey = provider.GetRequiredService<RootKey>();
        Assert.True(rootKey.IsLoaded);
        Assert.Equal("SOFTWARE", rootKey.Status!.Strategy.ToWire());
        Assert.Equal(RootKeyStrategy.Software, Assert.Single(await Instance.RootKeyRowsAsync(Ct)).Strategy);
    }

    [Fact]
    public async Task InitializeKmsAsync_DevelopmentWithoutKeys_LogsExactWarning()
    {
        await StartAsync(Environments.Development);

        Assert.Contains(DevFileWarning, Logs.Warnings);
    }

    [Fact]
    public async Task InitializeKmsAsync_TwoDevelopmentInstances_GetDifferentKeyFiles()
    {
        await StartAsync(Environments.Development);
        using var other = new KmsCoreInstance();
        await using (ServiceProvider provider = other.CreateProvider(Environments.Development, new CapturingLoggerProvider()))
        {
            await provider.InitializeKmsAsync(Ct);
        }

        Assert.NotEqual(await File.ReadAllTextAsync(Instance.DevKeyFilePath, Ct), await File.ReadAllTextAsync(other.DevKeyFilePath, Ct));
    }

    [Fact]
    public async Task InitializeKmsAsync_DevelopmentRestart_ReusesTheKeyFileAndWarnsAgain()
    {
        ServiceProvider first = await StartAsync(Environments.Development);
        string content = await File.ReadAllTextAsync(Instance.DevKeyFilePath, Ct);
        byte[] wrapped = WrapProbe(first);

        ServiceProvider second = await StartAsync(Environments.Development);

        Assert.Equal(content, await File.ReadAllTextAsync(Instance.DevKeyFilePath, Ct));
        AssertUnwrapsProbe(second, wrapped);
        Assert.Equal(2, Logs.Warnings.Count(w => w == DevFileWarning));
        Assert.Single(await Instance.RootKeyRowsAsync(Ct));
    }

    [Theory]
    [InlineData("ROOT_ENCRYPTION_KEY")]
    [InlineData("ENCRYPTION_KEY")]
    public async Task InitializeKmsAsync_DevelopmentInstanceLaterGivenOtherEnvKey_RefusesNamingTheVariable(string variable)
    {
        await StartAsync(Environments.Development);
        string key = variable == "ENCRYPTION_KEY" ? NewEncryptionKey() : NewRootEncryptionKey();

        string message = await RefusedAsync(Environments.Development, Env((variable, key)));

        Assert.Equal($"{variable} cannot decrypt the stored root key. It is not the key this instance was initialised with.", message);
    }

    [Fact]
    public async Task InitializeKmsAsync_DevelopmentInstanceLaterGivenTheFilesKey_UsesTheEnvKeyAndIgnoresTheFile()
    {
        ServiceProvider first = await StartAsync(Environments.Development);
        byte[] wrapped = WrapProbe(first);
        string fileKey = (await File.ReadAllTextAsync(Instance.DevKeyFilePath, Ct)).TrimEnd('\n');
        int warningsBefore = Logs.Warnings.Count(w => w == DevFileWarning);

        ServiceProvider second = await StartAsync(Environments.Production, Env(("ROOT_ENCRYPTION_KEY", fileKey)));

        AssertUnwrapsProbe(second, wrapped);
        Assert.Equal("ROOT_ENCRYPTION_KEY", second.GetRequiredService<RootKey>().Status!.Source);
        Assert.Equal(warningsBefore, Logs.Warnings.Count(w => w == DevFileWarning));
    }

    [Fact]
    public async Task InitializeKmsAsync_DevelopmentKeyFileDeleted_RefusesWithDevFileMessageAndDoesNotRecreateIt()
    {
        await StartAsync(Environments.Development);
        File.Delete(Instance.DevKeyFilePath);

        string message = await RefusedAsync(Environments.Development);

        Assert.Equal(DevFileRefusal, message);
        Assert.False(File.Exists(Instance.DevKeyFilePath));
    }

    [Fact]
    public async Task InitializeKmsAsync_DevelopmentKeyFileReplaced_RefusesWithDevFileMessage()
    {
        await StartAsync(Environments.Development);
        await File.WriteAllTextAsync(Instance.DevKeyFilePath, NewRootEncryptionKey() + "\n", Ct);

        string message = await RefusedAsync(Environments.Development);

        Assert.Equal(DevFileRefusal, message);
    }

    [Fact]
    public async Task InitializeKmsAsync_DevelopmentInstanceStartedInProductionWithoutKey_RefusesNamingBothVariables()
    {
        await StartAsync(Environments.Development);

        string message = await RefusedAsync(Environments.Production);

        Assert.Equal("The root key is protected by ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY, but neither is set.", message);
    }

    [Fact]
    public async Task InitializeKmsAsync_DevelopmentStarts_NeverLogKeyFileContent()
    {
        await StartAsync(Environments.Development);
        string content = (await File.ReadAllTextAsync(Instance.DevKeyFilePath, Ct)).TrimEnd('\n');
        await StartAsync(Environments.Development);
        await RefusedAsync(Environments.Development, Env(("ROOT_ENCRYPTION_KEY", NewRootEncryptionKey())));
        await File.WriteAllTextAsync(Instance.DevKeyFilePath, NewRootEncryptionKey() + "\n", Ct);
        string replaced = (await File.ReadAllTextAsync(Instance.DevKeyFilePath, Ct)).TrimEnd('\n');
        string message = await RefusedAsync(Environments.Development);

        AssertNotLogged(content, replaced, Convert.ToHexString(Convert.FromBase64String(content)));
        Assert.DoesNotContain(content, message, StringComparison.Ordinal);
        Assert.DoesNotContain(replaced, message, StringComparison.Ordinal);
    }
}
