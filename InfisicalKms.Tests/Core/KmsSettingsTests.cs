using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Core;

/// <summary>
/// Start-up's check of the settings bound through the Options pattern: each bad value gets one message naming its
/// setting (never a secret's value), and several bad values, in one settings class or several, are reported together.
/// </summary>
public sealed class KmsSettingsTests
{
    private const string GoodBase64Key = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

    public static TheoryData<string, string, string> BadValues => new()
    {
        { "Kms:Audit:CommitDelayMs", "101", "Kms:Audit:CommitDelayMs must be a whole number of milliseconds from 0 to 100" },
        { "Kms:Audit:CommitDelayMs", "fast", "Kms:Audit:CommitDelayMs must be a whole number of milliseconds from 0 to 100" },
        { "Kms:Audit:RetentionDays", "-1", "Kms:Audit:RetentionDays must be a whole number of days" },
        { "Kms:Audit:RetentionDays", "a year", "Kms:Audit:RetentionDays must be a whole number of days" },
        { "ENCRYPTION_KEY", "not-hex-not-32-characters-secret", "ENCRYPTION_KEY must be exactly 32 hexadecimal characters" },
        { "ROOT_ENCRYPTION_KEY", "c2VjcmV0LWJ1dC10b28tc2hvcnQ=", "ROOT_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes" },
        { "HSM_PIN", "secret-pin-only", "HSM configuration is incomplete: HSM_LIB_PATH, HSM_KEY_LABEL must be set." },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Validate_OneBadValue_OneMessageNamingTheSettingWithoutTheValue(string setting, string value, string message)
    {
        string failure = Assert.Single(SettingsHost.Failures((setting, value)));

        Assert.StartsWith(message, failure, StringComparison.Ordinal);   // each message starts with the setting it names
        Assert.DoesNotContain(value, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_GoodOrAbsentValues_Pass()
    {
        Assert.Empty(SettingsHost.Failures());
        Assert.Empty(SettingsHost.Failures(
            ("Kms:Audit:CommitDelayMs", "100"), ("Kms:Audit:RetentionDays", "365"), ("ROOT_ENCRYPTION_KEY", GoodBase64Key),
            ("HSM_LIB_PATH", "/usr/lib/softhsm/libsofthsm2.so"), ("HSM_PIN", "1234"), ("HSM_KEY_LABEL", "kms"), ("HSM_SLOT", "2"),
            ("Kms:Hsm:Mechanism", "CKM_AES_GCM")));
    }

    [Fact]
    public void Validate_SeveralBadValues_EveryMessageTogether()
    {
        IReadOnlyList<string> failures = SettingsHost.Failures(
            ("Kms:Audit:CommitDelayMs", "250"),
            ("Kms:Audit:RetentionDays", "forever"),
            ("ENCRYPTION_KEY", "0123456789abcdef"),
            ("HSM_LIB_PATH", "/usr/lib/softhsm/libsofthsm2.so"), ("HSM_PIN", "secret-pin-4242"), ("HSM_KEY_LABEL", "kms"),
            ("HSM_SLOT", "first"),
            ("Kms:Hsm:Mechanism", "CKM_DES3"));

        Assert.Equal(
            [
                "ENCRYPTION_KEY must be exactly 32 hexadecimal characters (16 random bytes, hex-encoded).",
                "HSM_SLOT must be a non-negative integer.",
                "Kms:Audit:CommitDelayMs must be a whole number of milliseconds from 0 to 100 (0 commits audit records without waiting for others).",
                "Kms:Audit:RetentionDays must be a whole number of days (0 keeps audit records forever).",
                "Kms:Hsm:Mechanism must be auto, CKM_AES_GCM or CKM_AES_CBC_PAD.",
            ],
            failures.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(failures, f => f.Contains("secret-pin-4242", StringComparison.Ordinal) || f.Contains("0123456789abcdef", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_EncryptionKeySet_IgnoresRootEncryptionKeyAsAtStartUp()
    {
        Assert.Empty(SettingsHost.Failures(("ENCRYPTION_KEY", "0123456789abcdef0123456789abcdef"), ("ROOT_ENCRYPTION_KEY", "not base64")));
    }
}
