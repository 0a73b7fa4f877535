using System.Security.Cryptography;
using System.Text;
using InfisicalKms.Core.RootKeys;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Core.RootKeys;

/// <summary>Spec §11.2 selection rules and the §11.3 messages for malformed variables, as start-up's settings check reports them.</summary>
public sealed class RootKeySettingsTests
{
    private const string EncryptionKeyMessage = "ENCRYPTION_KEY must be exactly 32 hexadecimal characters (16 random bytes, hex-encoded).";
    private const string RootEncryptionKeyMessage = "ROOT_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes.";
    private const string DataDirectory = SettingsHost.DataDirectory;

    private static readonly string[] HsmVariables = ["HSM_LIB_PATH", "HSM_PIN", "HSM_KEY_LABEL"];

    public static TheoryData<string> MalformedEncryptionKeys => new()
    {
        "0123456789abcdef0123456789abcde",                                    // 31 characters
        "0123456789abcdef0123456789abcdef0",                                  // 33 characters
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",   // openssl rand -hex 32
        "0123456789abcdef0123456789abcdeg",                                   // 32 characters, one not hex
        "0123456789abcdef 123456789abcdef",                                   // 32 characters with a space
        "0x23456789abcdef0123456789abcdef",                                   // 0x prefix
        " 0123456789abcdef0123456789abcdef",                                  // leading space
        "0123456789abcdef0123456789abcdef\n",                                 // trailing newline: 33 characters
        "0123456789abcdef0123456789abcdef ",                                  // trailing space
    };

    public static TheoryData<string> MalformedRootEncryptionKeys => new()
    {
        Convert.ToBase64String(new byte[31].Select((_, i) => (byte)(i + 1)).ToArray()),   // 31 bytes
        Convert.ToBase64String(new byte[33].Select((_, i) => (byte)(i + 1)).ToArray()),   // 33 bytes
        Convert.ToBase64String(new byte[16].Select((_, i) => (byte)(i + 1)).ToArray()),   // 16 bytes
        "this is definitely not base64 at all!!!!!!!",
        "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHy*=",                                    // 44 characters, one not base64
        "__________________________________________8=",                                    // base64url alphabet
        Convert.ToHexString(new byte[32].Select((_, i) => (byte)(i + 1)).ToArray()),      // hex, not base64
    };

    public static TheoryData<string[]> PartialHsmSettings => new()
    {
        new[] { "HSM_LIB_PATH" },
        new[] { "HSM_PIN" },
        new[] { "HSM_KEY_LABEL" },
        new[] { "HSM_LIB_PATH", "HSM_PIN" },
        new[] { "HSM_LIB_PATH", "HSM_KEY_LABEL" },
        new[] { "HSM_PIN", "HSM_KEY_LABEL" },
    };

    [Theory]
    [MemberData(nameof(MalformedEncryptionKeys))]
    public void Validate_MalformedEncryptionKey_RefusesWithExactMessageWithoutTheValue(string value)
    {
        string refusal = Assert.Single(SettingsHost.Failures(("ENCRYPTION_KEY", value)));

        Assert.Equal(EncryptionKeyMessage, refusal);
        Assert.DoesNotContain(value.Trim(), refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("0123456789ABCDEF0123456789abcdef")]
    public void From_ValidEncryptionKey_UsesItsAsciiBytesNotHexDecoded(string value)
    {
        RootKeySettings settings = From(("ENCRYPTION_KEY", value));

        Assert.Equal(Encoding.ASCII.GetBytes(value), settings.EnvironmentKey);
        Assert.Equal(32, settings.EnvironmentKey!.Length);
        Assert.Equal("ENCRYPTION_KEY", settings.EnvironmentKeyVariable);
        Assert.False(settings.RootEncryptionKeyIgnored);
    }

    [Theory]
    [MemberData(nameof(MalformedRootEncryptionKeys))]
    public void Validate_MalformedRootEncryptionKey_RefusesWithExactMessageWithoutTheValue(string value)
    {
        string refusal = Assert.Single(SettingsHost.Failures(("ROOT_ENCRYPTION_KEY", value)));

        Assert.Equal(RootEncryptionKeyMessage, refusal);
        Assert.DoesNotContain(value, refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void From_ValidRootEncryptionKey_UsesTheDecodedBytes()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);

        RootKeySettings settings = From(("ROOT_ENCRYPTION_KEY", Convert.ToBase64String(key)));

        Assert.Equal(key, settings.EnvironmentKey);
        Assert.Equal("ROOT_ENCRYPTION_KEY", settings.EnvironmentKeyVariable);
        Assert.False(settings.RootEncryptionKeyIgnored);
        Assert.False(settings.HsmConfigured);
    }

    [Fact]
    public void From_BothKeysSet_EncryptionKeyWinsAndRootEncryptionKeyIsIgnored()
    {
        const string hex = "fedcba9876543210fedcba9876543210";

        RootKeySettings settings = From(("ENCRYPTION_KEY", hex), ("ROOT_ENCRYPTION_KEY", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));

        Assert.Equal(Encoding.ASCII.GetBytes(hex), settings.EnvironmentKey);
        Assert.Equal("ENCRYPTION_KEY", settings.EnvironmentKeyVariable);
        Assert.True(settings.RootEncryptionKeyIgnored);
    }

    [Fact]
    public void From_NoKeys_HasNoEnvironmentKeyAndPutsTheDevFileInTheDataDirectory()
    {
        RootKeySettings settings = From();

        Assert.Null(settings.EnvironmentKey);
        Assert.Null(settings.EnvironmentKeyVariable);
        Assert.False(settings.HsmConfigured);
        Assert.Equal(Path.Combine(DataDirectory, "root-encryption-key.dev"), settings.DevKeyFilePath);
    }

    [Theory]
    [MemberData(nameof(PartialHsmSettings))]
    public void Validate_PartialHsmSettings_NamesExactlyTheMissingVariables(string[] present)
    {
        string refusal = Assert.Single(SettingsHost.Failures([.. present.Select(name => (name, (string?)"configured-value"))]));

        const string prefix = "HSM configuration is incomplete: ";
        const string suffix = " must be set.";
        Assert.StartsWith(prefix, refusal, StringComparison.Ordinal);
        Assert.EndsWith(suffix, refusal, StringComparison.Ordinal);
        string named = refusal[prefix.Length..^suffix.Length];
        string[] listed = named.Split([", ", " and "], StringSplitOptions.None);
        Assert.Equal(HsmVariables.Except(present).Order(), listed.Order());
        Assert.DoesNotContain("configured-value", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void From_AllHsmSettings_IsHsmConfigured()
    {
        RootKeySettings settings = From(("HSM_LIB_PATH", "/usr/lib/softhsm/libsofthsm2.so"), ("HSM_PIN", "1234"), ("HSM_KEY_LABEL", "kms"));

        Assert.True(settings.HsmConfigured);
    }

    [Theory]
    [InlineData("HSM_SLOT")]
    [InlineData("HSM_TOKEN_LABEL")]
    public void From_OnlySlotSelector_IsNotAnHsmConfiguration(string variable)
    {
        RootKeySettings settings = From((variable, "1"));

        Assert.False(settings.HsmConfigured);
    }

    [Fact]
    public void ToString_WithEitherKey_NeverContainsTheKey()
    {
        const string hex = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
        byte[] raw = RandomNumberGenerator.GetBytes(32);
        string base64 = Convert.ToBase64String(raw);

        string[] texts =
        [
            From(("ENCRYPTION_KEY", hex)).ToString(),
            From(("ROOT_ENCRYPTION_KEY", base64)).ToString(),
            From(("ENCRYPTION_KEY", hex), ("ROOT_ENCRYPTION_KEY", base64)).ToString(),
        ];

        Assert.All(texts, text =>
        {
            Assert.DoesNotContain(hex, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(hex[..8], text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(base64, text, StringComparison.Ordinal);
            Assert.DoesNotContain(base64[..8], text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexString(raw)[..8], text, StringComparison.OrdinalIgnoreCase);
        });
    }

    private static RootKeySettings From(params (string Name, string Value)[] variables) =>
        SettingsHost.Get<RootKeySettings>([.. variables.Select(v => (v.Name, (string?)v.Value))]);
}
