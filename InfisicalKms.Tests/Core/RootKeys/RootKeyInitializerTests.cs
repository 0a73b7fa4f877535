using InfisicalKms.Core;
using InfisicalKms.Core.RootKeys;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Tests.Core.RootKeys;

/// <summary>Start-up of the key hierarchy with environment keys and in Production (spec §11.1–§11.3, §11.5).</summary>
public sealed class RootKeyInitializerTests : RootKeyStartupFixture
{
    private const string ProductionRefusal = "Refusing to start in Production: set ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY, " +
        "or configure an HSM (HSM_LIB_PATH, HSM_PIN, HSM_KEY_LABEL).";

    private const string NeitherSetRefusal = "The root key is protected by ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY, but neither is set.";

    [Fact]
    public async Task InitializeKmsAsync_NewInstanceWithRootEncryptionKey_LoadsSoftwareRootKey()
    {
        ServiceProvider provider = await StartAsync(Environments.Production, Env(("ROOT_ENCRYPTION_KEY", NewRootEncryptionKey())));

        RootKey rootKey = provider.GetRequiredService<RootKey>();
        Assert.True(rootKey.IsLoaded);
        Assert.Equal("SOFTWARE", rootKey.Status!.Strategy.ToWire());
        Assert.Equal("ROOT_ENCRYPTION_KEY", rootKey.Status.Source);
        RootKeyRecord row = Assert.Single(await Instance.RootKeyRowsAsync(Ct));
        Assert.Equal(RootKeyStrategy.Software, row.Strategy);
        Assert.Equal(12 + 32 + 16, row.WrappedKey.Length);   // IV(12) ‖ ct ‖ tag(16)
    }

    [Theory]
    [InlineData("ROOT_ENCRYPTION_KEY")]
    [InlineData("ENCRYPTION_KEY")]
    public async Task InitializeKmsAsync_RestartWithSameKey_LoadsTheSameRootKey(string variable)
    {
        string key = variable == "ENCRYPTION_KEY" ? NewEncryptionKey() : NewRootEncryptionKey();
        ServiceProvider first = await StartAsync(Environments.Production, Env((variable, key)));
        byte[] wrapped = WrapProbe(first);
        byte[] storedBefore = Assert.Single(await Instance.RootKeyRowsAsync(Ct)).WrappedKey;

        ServiceProvider second = await StartAsync(Environments.Production, Env((variable, key)));

        AssertUnwrapsProbe(second, wrapped);
        Assert.Equal(storedBefore, Assert.Single(await Instance.RootKeyRowsAsync(Ct)).WrappedKey);
        Assert.Equal(variable, second.GetRequiredService<RootKey>().Status!.Source);
    }

    [Theory]
    [InlineData("ROOT_ENCRYPTION_KEY")]
    [InlineData("ENCRYPTION_KEY")]
    public async Task InitializeKmsAsync_RestartWithDifferentKey_RefusesNamingTheVariable(string variable)
    {
        string original = variable == "ENCRYPTION_KEY" ? NewEncryptionKey() : NewRootEncryptionKey();
        string other = variable == "ENCRYPTION_KEY" ? NewEncryptionKey() : NewRootEncryptionKey();
        await StartAsync(Environments.Production, Env((variable, original)));
        byte[] storedBefore = Assert.Single(await Instance.RootKeyRowsAsync(Ct)).WrappedKey;

        string message = await RefusedAsync(Environments.Production, Env((variable, other)));

        Assert.Equal($"{variable} cannot decrypt the stored root key. It is not the key this instance was initialised with.", message);
        Assert.Equal(storedBefore, Assert.Single(await Instance.RootKeyRowsAsync(Ct)).WrappedKey);   // start-up never re-wraps
        AssertNotLogged(original, other);
    }

    [Fact]
    public async Task InitializeKmsAsync_InstanceCreatedWithEncryptionKeyRestartedWithRootEncryptionKey_RefusesNamingRootEncryptionKey()
    {
        await StartAsync(Environments.Production, Env(("ENCRYPTION_KEY", NewEncryptionKey())));

        string message = await RefusedAsync(Environments.Production, Env(("ROOT_ENCRYPTION_KEY", NewRootEncryptionKey())));

        Assert.Equal("ROOT_ENCRYPTION_KEY cannot decrypt the stored root key. It is not the key this instance was initialised with.", message);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    [InlineData("Test")]
    public async Task InitializeKmsAsync_NewInstanceOutsideDevelopmentWithoutKey_RefusesAndWritesNothing(string environmentName)
    {
        string message = await RefusedAsync(environmentName);

        Assert.Equal(ProductionRefusal, message);
        Assert.Empty(await Instance.RootKeyRowsAsync(Ct));
        Assert.False(File.Exists(Instance.DevKeyFilePath));
    }

    [Fact]
    public async Task InitializeKmsAsync_ProductionWithLeftoverDevKeyFile_IgnoresTheFileAndRefuses()
    {
        await File.WriteAllTextAsync(Instance.DevKeyFilePath, NewRootEncryptionKey() + "\n", Ct);

        string message = await RefusedAsync(Environments.Production);

        Assert.Equal(ProductionRefusal, message);
        Assert.Empty(await Instance.RootKeyRowsAsync(Ct));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task InitializeKmsAsync_ExistingSoftwareInstanceWithoutKey_RefusesNamingBothVariables(string environmentName)
    {
        await StartAsync(Environments.Production, Env(("ROOT_ENCRYPTION_KEY", NewRootEncryptionKey())));

        string message = await RefusedAsync(environmentName);

        Assert.Equal(NeitherSetRefusal, message);
    }

    [Fact]
    public async Task InitializeKmsAsync_BothKeysSet_WarnsAndWrapsWithEncryptionKey()
    {
        string hex = NewEncryptionKey();
        string base64 = NewRootEncryptionKey();
        ServiceProvider first = await StartAsync(Environments.Production, Env(("ENCRYPTION_KEY", hex), ("ROOT_ENCRYPTION_KEY", base64)));
        byte[] wrapped = WrapProbe(first);

        Assert.Contains(Logs.Warnings, w => w.Contains("ROOT_ENCRYPTION_KEY", StringComparison.Ordinal) && w.Contains("ignored", StringComparison.Ordinal));
        Assert.Equal("ENCRYPTION_KEY", first.GetRequiredService<RootKey>().Status!.Source);
        AssertUnwrapsProbe(await StartAsync(Environments.Production, Env(("ENCRYPTION_KEY", hex))), wrapped);
        Assert.Equal("ROOT_ENCRYPTION_KEY cannot decrypt the stored root key. It is not the key this instance was initialised with.",
            await RefusedAsync(Environments.Production, Env(("ROOT_ENCRYPTION_KEY", base64))));
        AssertNotLogged(hex, base64);
    }

    [Fact]
    public async Task InitializeKmsAsync_OneKeyOnly_DoesNotWarnAboutIgnoredKey()
    {
        await StartAsync(Environments.Production, Env(("ROOT_ENCRYPTION_KEY", NewRootEncryptionKey())));

        Assert.DoesNotContain(Logs.Warnings, w => w.Contains("ignored", StringComparison.Ordinal));
        Assert.DoesNotContain(Logs.Warnings, w => w.Contains("DEVELOPMENT ONLY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task InitializeKmsAsync_ConcurrentStartsOnEmptyDatabase_CreateExactlyOneRootKey()
    {
        string key = NewRootEncryptionKey();
        ServiceProvider a = NewProvider(Environments.Production, Env(("ROOT_ENCRYPTION_KEY", key)));
        ServiceProvider b = NewProvider(Environments.Production, Env(("ROOT_ENCRYPTION_KEY", key)));

        await Task.WhenAll(Task.Run(() => a.InitializeKmsAsync(Ct)), Task.Run(() => b.InitializeKmsAsync(Ct)));

        Assert.Single(await Instance.RootKeyRowsAsync(Ct));
        Assert.Single(Logs.Entries, e => e.Message.StartsWith("Created the instance root key", StringComparison.Ordinal));
        AssertUnwrapsProbe(b, WrapProbe(a));
        AssertUnwrapsProbe(a, WrapProbe(b));
    }

    [Fact]
    public async Task InitializeKmsAsync_AnyOutcome_NeverLogsKeyMaterial()
    {
        string base64 = NewRootEncryptionKey();
        string hex = NewEncryptionKey();
        string wrongBase64 = NewRootEncryptionKey();
        await StartAsync(Environments.Production, Env(("ROOT_ENCRYPTION_KEY", base64)));
        await StartAsync(Environments.Production, Env(("ROOT_ENCRYPTION_KEY", base64)));
        await RefusedAsync(Environments.Production, Env(("ROOT_ENCRYPTION_KEY", wrongBase64)));
        await RefusedAsync(Environments.Production, Env(("ENCRYPTION_KEY", hex), ("ROOT_ENCRYPTION_KEY", base64)));
        await RefusedAsync(Environments.Production);

        Assert.Contains(Logs.Entries, e => e.Level >= LogLevel.Information);
        AssertNotLogged(base64, hex, wrongBase64, Convert.ToHexString(Convert.FromBase64String(base64)));
    }
}
