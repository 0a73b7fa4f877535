using InfisicalKms.Core.RootKeys;
using InfisicalKms.Core.RootKeys.Pkcs11;
using Microsoft.Extensions.Configuration;

namespace InfisicalKms.Tests.Core.RootKeys.Pkcs11;

/// <summary>The HSM variables (spec §11.2) and the refusals that need no token.</summary>
[Trait("Category", "Hsm")]
public sealed class HsmSettingsTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    private static (string, string)[] Complete(params (string, string)[] extra) =>
        [("HSM_LIB_PATH", "/usr/lib/softhsm/libsofthsm2.so"), ("HSM_PIN", "secret-pin-1234"), ("HSM_KEY_LABEL", "kms-root"), .. extra];

    [Theory]
    [InlineData("HSM_LIB_PATH", "HSM_PIN, HSM_KEY_LABEL")]
    [InlineData("HSM_PIN", "HSM_LIB_PATH, HSM_KEY_LABEL")]
    [InlineData("HSM_KEY_LABEL", "HSM_LIB_PATH, HSM_PIN")]
    public void From_OneOfThreeSet_NamesTheMissingVariables(string set, string missing)
    {
        var failure = Assert.Throws<RootKeyConfigurationException>(() =>
            RootKeySettings.From(Configuration((set, "x")), isDevelopment: false, dataDirectory: "data"));
        Assert.Equal($"HSM configuration is incomplete: {missing} must be set.", failure.Message);
    }

    [Fact]
    public void From_AllThreeSet_ReadsTheHsmVariablesWithDefaults()
    {
        using RootKeySettings settings = RootKeySettings.From(Configuration(Complete()), isDevelopment: false, dataDirectory: "data");

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
    public void From_SlotNotANonNegativeInteger_Refuses(string slot)
    {
        var failure = Assert.Throws<RootKeyConfigurationException>(() => HsmSettings.From(Configuration(Complete(("HSM_SLOT", slot)))));
        Assert.Equal("HSM_SLOT must be a non-negative integer.", failure.Message);
    }

    [Theory]
    [InlineData("auto", HsmMechanismPreference.Auto)]
    [InlineData("ckm_aes_gcm", HsmMechanismPreference.AesGcm)]
    [InlineData("CKM_AES_CBC_PAD", HsmMechanismPreference.AesCbcPadHmac)]
    public void From_MechanismSetting_IsParsed(string value, HsmMechanismPreference expected)
    {
        using HsmSettings hsm = HsmSettings.From(Configuration(Complete(("Kms:Hsm:Mechanism", value))));
        Assert.Equal(expected, hsm.MechanismPreference);
    }

    [Fact]
    public void From_UnknownMechanismSetting_Refuses()
    {
        var failure = Assert.Throws<RootKeyConfigurationException>(() => HsmSettings.From(Configuration(Complete(("Kms:Hsm:Mechanism", "CKM_DES3")))));
        Assert.Equal("Kms:Hsm:Mechanism must be auto, CKM_AES_GCM or CKM_AES_CBC_PAD.", failure.Message);
    }

    [Fact]
    public void ToString_NeverShowsThePin()
    {
        using RootKeySettings settings = RootKeySettings.From(Configuration(Complete(("HSM_TOKEN_LABEL", "kms"))), isDevelopment: false, dataDirectory: "data");

        Assert.DoesNotContain("secret-pin-1234", settings.ToString());
        Assert.DoesNotContain("secret-pin-1234", settings.Hsm!.ToString());
        Assert.Contains("kms-root", settings.Hsm.ToString());
    }

    [Fact]
    public void Dispose_ZeroesThePin()
    {
        HsmSettings hsm = HsmSettings.From(Configuration(Complete()));
        byte[] pin = hsm.PinBytes;

        hsm.Dispose();

        Assert.All(pin, b => Assert.Equal(0, b));
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
