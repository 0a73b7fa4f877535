using System.Security.Cryptography;

namespace InfisicalKms.Tests.Web.Hsm;

/// <summary>
/// Every HSM start-up problem stops the real server with the message of spec §11.3–§11.4, naming the
/// variable at fault and never a secret; and a root key wrapped one way cannot be opened the other way.
/// </summary>
[Trait("Category", "Hsm")]
public sealed class HsmStartupRefusalTests(HsmStartupRefusalTests.Instances instances) : IClassFixture<HsmStartupRefusalTests.Instances>
{
    [Fact]
    public async Task Start_WrongPin_RefusesAtOnceWithoutRetrying()
    {
        Dictionary<string, string?> variables = instances.Token.Variables();
        variables["HSM_PIN"] = "wrong-pin-4242";

        ProcessResult result = await instances.Hsm.StartExpectingRefusalAsync(variables);

        AssertRefused(result, "HSM_PIN was rejected by the token (CKR_PIN_INCORRECT); not retrying.");
        Assert.DoesNotContain("wrong-pin-4242", result.Output);
    }

    [Fact]
    public async Task Start_MissingLibrary_NamesHsmLibPath()
    {
        Dictionary<string, string?> variables = instances.Token.Variables();
        variables["HSM_LIB_PATH"] = "/nonexistent/libpkcs11.so";

        AssertRefused(await instances.Hsm.StartExpectingRefusalAsync(variables),
            "HSM_LIB_PATH: cannot load the PKCS#11 library at /nonexistent/libpkcs11.so.");
    }

    [Fact]
    public async Task Start_UnknownTokenLabel_NamesHsmTokenLabel()
    {
        Dictionary<string, string?> variables = instances.Token.Variables();
        variables["HSM_TOKEN_LABEL"] = "no-such-token";

        AssertRefused(await instances.Hsm.StartExpectingRefusalAsync(variables),
            "HSM_TOKEN_LABEL: no token labelled \"no-such-token\" was found.");
    }

    [Fact]
    public async Task Start_SlotOutOfRange_NamesHsmSlot()
    {
        Dictionary<string, string?> variables = instances.Token.Variables();
        variables["HSM_TOKEN_LABEL"] = null;
        variables["HSM_SLOT"] = "7";

        // SoftHSM lists the initialised token and its one free slot.
        AssertRefused(await instances.Hsm.StartExpectingRefusalAsync(variables),
            "HSM_SLOT=7 is out of range: 2 slot(s) with a token were found.");
    }

    [Fact]
    public async Task Start_WrappingKeyMissingOnInitialisedInstance_RefusesAndGeneratesNothing()
    {
        Dictionary<string, string?> variables = instances.Token.Variables(keyLabel: "another-key");

        ProcessResult result = await instances.Hsm.StartExpectingRefusalAsync(variables);

        AssertRefused(result,
            "The HSM key labelled \"another-key\" cannot decrypt the stored root key (check HSM_KEY_LABEL and HSM_TOKEN_LABEL/HSM_SLOT).");
        Assert.DoesNotContain("Generated", result.Output);
    }

    [Fact]
    public async Task Start_PartialHsmConfiguration_NamesTheMissingVariables()
    {
        var variables = new Dictionary<string, string?>
        {
            ["ROOT_ENCRYPTION_KEY"] = instances.EnvironmentKey,
            ["HSM_LIB_PATH"] = SoftHsmToken.LibraryPath,
        };

        AssertRefused(await instances.Software.StartExpectingRefusalAsync(variables),
            "HSM configuration is incomplete: HSM_PIN, HSM_KEY_LABEL must be set.");
    }

    [Fact]
    public async Task Start_HsmWrappedRootKeyWithEnvironmentKeyOnly_Refuses()
    {
        var variables = new Dictionary<string, string?> { ["ROOT_ENCRYPTION_KEY"] = instances.EnvironmentKey };

        AssertRefused(await instances.Hsm.StartExpectingRefusalAsync(variables),
            "The root key is protected by an HSM, but HSM_LIB_PATH, HSM_PIN and HSM_KEY_LABEL are not set.");
    }

    [Fact]
    public async Task Start_SoftwareWrappedRootKeyWithHsmOnly_Refuses()
    {
        AssertRefused(await instances.Software.StartExpectingRefusalAsync(instances.Token.Variables()),
            "The root key is protected by ENCRYPTION_KEY or ROOT_ENCRYPTION_KEY, but neither is set.");
    }

    [Fact]
    public async Task Start_SoftwareWrappedRootKeyWithHsmAndAnotherEnvironmentKey_Refuses()
    {
        Dictionary<string, string?> variables = instances.Token.Variables();
        variables["ROOT_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        AssertRefused(await instances.Software.StartExpectingRefusalAsync(variables),
            "ROOT_ENCRYPTION_KEY cannot decrypt the stored root key. It is not the key this instance was initialised with.");
    }

    private void AssertRefused(ProcessResult result, string message)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(message, result.StandardError.Split('\n').Select(line => line.TrimEnd('\r')));
        Assert.DoesNotContain(instances.Token.Pin, result.Output);
        Assert.DoesNotContain(instances.EnvironmentKey, result.Output);
    }

    /// <summary>One token, an instance initialised with it (HSM) and one initialised with an environment key (SOFTWARE).</summary>
    public sealed class Instances : IAsyncLifetime
    {
        public SoftHsmToken Token { get; private set; } = null!;

        public KmsInstallation Hsm { get; } = new();

        public KmsInstallation Software { get; } = new();

        public string EnvironmentKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        public async Task InitializeAsync()
        {
            Token = await SoftHsmToken.CreateAsync();
            Task hsm = StartAndStopAsync(Hsm, Token.Variables());
            Task software = StartAndStopAsync(Software, new Dictionary<string, string?> { ["ROOT_ENCRYPTION_KEY"] = EnvironmentKey });
            await Task.WhenAll(hsm, software);
        }

        public Task DisposeAsync()
        {
            Hsm.Dispose();
            Software.Dispose();
            Token.Dispose();
            return Task.CompletedTask;
        }

        private static async Task StartAndStopAsync(KmsInstallation installation, Dictionary<string, string?> variables)
        {
            await using KmsServerProcess server = await installation.StartAsync(variables);
            await server.StopAsync();
        }
    }
}
