using System.Net;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>The <c>Kms:Kmip:*</c> settings as start-up checks them: one message per bad value, naming its setting.</summary>
public sealed class KmipSettingsTests
{
    public static TheoryData<string, string, string> BadValues => new()
    {
        { "Kms:Kmip:Enabled", "yes", "Kms:Kmip:Enabled must be true or false." },
        { "Kms:Kmip:Port", "70000", "Kms:Kmip:Port must be a port number from 1 to 65535" },
        { "Kms:Kmip:Port", "-1", "Kms:Kmip:Port must be a port number from 1 to 65535" },
        { "Kms:Kmip:Host", "kms.example.com", "Kms:Kmip:Host must be an IP address to listen on" },
        { "Kms:Kmip:MaxMessageBytes", "100", "Kms:Kmip:MaxMessageBytes must be a whole number of bytes from 4096 to 67108864." },
        { "Kms:Kmip:MaxConnections", "0", "Kms:Kmip:MaxConnections must be a whole number from 1 to 100000." },
        { "Kms:Kmip:IdleTimeoutSeconds", "1.5", "Kms:Kmip:IdleTimeoutSeconds must be a whole number of seconds from 1 to 86400." },
        { "Kms:Kmip:CertificateDays", "3651", "Kms:Kmip:CertificateDays must be a whole number of days from 1 to 3650." },
        { "Kms:Kmip:ServerNames:0", "not a name!", "Kms:Kmip:ServerNames has \"not a name!\", which is neither a DNS name nor an IP address." },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Validate_OneBadValue_OneMessageNamingTheSetting(string setting, string value, string message)
    {
        string failure = Assert.Single(SettingsHost.Failures((setting, value)));

        Assert.StartsWith(message, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SeveralBadValues_AllReportedTogether()
    {
        IReadOnlyList<string> failures = SettingsHost.Failures(("Kms:Kmip:Enabled", "on"), ("Kms:Kmip:Port", "http"), ("Kms:Kmip:CertificateDays", "0"));

        Assert.Equal(3, failures.Count);
    }

    [Fact]
    public void Defaults_OffOnTheStandardPortOnEveryInterface()
    {
        KmipSettings settings = SettingsHost.Get<KmipSettings>();

        Assert.False(settings.IsEnabled);
        Assert.Equal(5696, settings.PortNumber);
        Assert.Equal(IPAddress.Any, settings.Address);
        Assert.Equal(1024 * 1024, settings.MaxMessageLength);
        Assert.Equal(TimeSpan.FromDays(365), settings.CertificateLifetime);
        Assert.Contains("localhost", settings.ServerNamesOrDefault);
        Assert.Contains("127.0.0.1", settings.ServerNamesOrDefault);
    }

    [Fact]
    public void ConfiguredValues_AreRead()
    {
        KmipSettings settings = SettingsHost.Get<KmipSettings>(
            ("Kms:Kmip:Enabled", "true"), ("Kms:Kmip:Port", "15696"), ("Kms:Kmip:Host", "127.0.0.1"),
            ("Kms:Kmip:ServerNames:0", "kms.example.com"), ("Kms:Kmip:ServerNames:1", "10.0.0.5"), ("Kms:Kmip:IdleTimeoutSeconds", "60"));

        Assert.True(settings.IsEnabled);
        Assert.Equal(15696, settings.PortNumber);
        Assert.Equal(IPAddress.Loopback, settings.Address);
        Assert.Equal(["kms.example.com", "10.0.0.5"], settings.ServerNamesOrDefault);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.IdleTimeout);
    }
}
