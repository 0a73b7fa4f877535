using InfisicalKms.Core.RootKeys;
using InfisicalKms.Core.RootKeys.Pkcs11;
using InfisicalKms.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace InfisicalKms.Tests.Core.RootKeys.Pkcs11;

/// <summary>The HSM variables (spec §11.2) and the refusals that need no token.</summary>
[Trait("Category", "Hsm")]
public sealed class HsmSettingsTests
{
    private static (string, string?)[] Complete(params (string, string?)[] extra) =>
        [("HSM_LIB_PATH", "/usr/lib/softhsm/libsofthsm2.so"), ("HSM_PIN", "secret-pin-1234"), ("HSM_KEY_LABEL", "kms-root"), .. extra];

    private static RootKeySettings Settings(params (string, string?)[] values) => SettingsHost.Get<RootKeySettings>(values);

    [Theory]
    [InlineData("HSM_LIB_PATH", "HSM_PIN, HSM_KEY_LABEL")]
    [InlineData("HSM_PIN", "HSM_LIB_PATH, HSM_KEY_LABEL")]
    [InlineData("HSM_KEY_LABEL", "HSM_LIB_PATH, HSM_PIN")]
    public void Validate_OneOfThreeSet_NamesTheMissingVariables(string set, string missing)
    {
        Assert.Equal([$"HSM configuration is incomplete: {missing} must be set."], SettingsHost.Failures((set, "x")));
    }

    [Fact]
    public void From_AllThreeSet_ReadsTheHsmVariablesWithDefaults()
    {
        using RootKeySettings settings = Settings(Complete());

        HsmSettings hsm = Assert.IsType<HsmSettings>(settings.Hsm);
        Assert.Equal("kms-root", hsm.KeyLabel);
        Assert.Equal("kms-root_HMAC", hsm.HmacKeyLabel);
        Assert.Null(hsm.TokenLabel);
        Assert.Equal(0, hsm.SlotIndex);
        Assert.Equal(HsmMechanismPreference.Auto, hsm.MechanismPreference);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("one")]
    [InlineData("1.5")]
    [InlineData(" ")]
    public void Validate_SlotNotANonNegativeInteger_Refuses(string slot)
    {
        Assert.Equal(["HSM_SLOT must be a non-negative integer."], SettingsHost.Failures(Complete(("HSM_SLOT", slot))));
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData("", 0)]
    [InlineData("3", 3)]
    public void From_Slot_IsTheIndexOrZero(string? slot, int expected)
    {
        Assert.Equal(expected, Settings(Complete(("HSM_SLOT", slot))).Hsm!.SlotIndex);
    }

    [Fact]
    public void Validate_NoHsmConfigured_IgnoresSlotAndMechanism()
    {
        Assert.Empty(SettingsHost.Failures(("HSM_SLOT", "one"), ("Kms:Hsm:Mechanism", "CKM_DES3")));
    }

    [Theory]
    [InlineData("auto", HsmMechanismPreference.Auto)]
    [InlineData("ckm_aes_gcm", HsmMechanismPreference.AesGcm)]
    [InlineData("CKM_AES_CBC_PAD", HsmMechanismPreference.AesCbcPadHmac)]
    public void From_MechanismSetting_IsParsed(string value, HsmMechanismPreference expected)
    {
        using RootKeySettings settings = Settings(Complete(("Kms:Hsm:Mechanism", value)));
        Assert.Equal(expected, settings.Hsm!.MechanismPreference);
    }

    [Fact]
    public void Validate_UnknownMechanismSetting_Refuses()
    {
        Assert.Equal(["Kms:Hsm:Mechanism must be auto, CKM_AES_GCM or CKM_AES_CBC_PAD."], SettingsHost.Failures(Complete(("Kms:Hsm:Mechanism", "CKM_DES3"))));
    }

    [Fact]
    public void Validate_PartialHsmWithBadSlotAndMechanism_ReportsEachWithoutThePin()
    {
        IReadOnlyList<string> failures = SettingsHost.Failures(("HSM_PIN", "secret-pin-1234"), ("HSM_SLOT", "-1"), ("Kms:Hsm:Mechanism", "CKM_DES3"));

        Assert.Equal(
            ["HSM configuration is incomplete: HSM_LIB_PATH, HSM_KEY_LABEL must be set.", "HSM_SLOT must be a non-negative integer.",
             "Kms:Hsm:Mechanism must be auto, CKM_AES_GCM or CKM_AES_CBC_PAD."],
            failures);
        Assert.DoesNotContain(failures, f => f.Contains("secret-pin-1234", StringComparison.Ordinal));
    }

    [Fact]
    public void ToString_NeverShowsThePin()
    {
        using RootKeySettings settings = Settings(Complete(("HSM_TOKEN_LABEL", "kms")));

        Assert.DoesNotContain("secret-pin-1234", settings.ToString());
        Assert.DoesNotContain("secret-pin-1234", settings.Hsm!.ToString());
        Assert.Contains("kms-root", settings.Hsm.ToString());
    }

    [Fact]
    public void Dispose_ZeroesThePin()
    {
        HsmSettings hsm = Settings(Complete()).Hsm!;
        byte[] pin = hsm.PinBytes;

        hsm.Dispose();

        Assert.Equal("secret-pin-1234".Length, pin.Length);
        Assert.All(pin, b => Assert.Equal(0, b));
    }

    [Fact]
    public void ContainerDisposal_ZeroesThePinAndTheEnvironmentKey()
    {
        ServiceProvider provider = SettingsHost.Build(Environments.Production, Complete(("ROOT_ENCRYPTION_KEY", Convert.ToBase64String(new byte[32].Select(_ => (byte)7).ToArray()))));
        RootKeySettings settings = provider.GetRequiredService<RootKeySettings>();
        byte[] pin = settings.Hsm!.PinBytes;
        byte[] key = settings.EnvironmentKey!;

        provider.Dispose();

        Assert.All(pin, b => Assert.Equal(0, b));
        Assert.All(key, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(HsmMechanism.AesGcm)]
    [InlineData(HsmMechanism.AesCbcPadHmac)]
    public void RecordName_RoundTripsAndFitsTheColumn(HsmMechanism mechanism)
    {
        string name = mechanism.ToRecordName();
        Assert.True(name.Length <= 32, name);
        Assert.Equal(mechanism, HsmMechanisms.FromRecordName(name));
    }

    [Fact]
    public void FromRecordName_Unknown_Refuses()
    {
        var failure = Assert.Throws<RootKeyConfigurationException>(() => HsmMechanisms.FromRecordName("CKM_AES_KEY_WRAP"));
        Assert.Equal("The stored root key records an unknown HSM mechanism \"CKM_AES_KEY_WRAP\".", failure.Message);
    }

    [Fact]
    public void LoadLibrary_MissingFile_NamesHsmLibPath()
    {
        // Fails before C_Initialize, so the test process never holds a PKCS#11 library.
        var failure = Assert.Throws<RootKeyConfigurationException>(() =>
            Pkcs11Library.Load("/nonexistent/libpkcs11.so", Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        Assert.Equal("HSM_LIB_PATH: cannot load the PKCS#11 library at /nonexistent/libpkcs11.so.", failure.Message);
    }
}
