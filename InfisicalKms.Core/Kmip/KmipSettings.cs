using System.Net;
using Microsoft.Extensions.Options;

namespace InfisicalKms.Core.Kmip;

/// <summary>
/// The KMIP listener (<c>Kms:Kmip:*</c>): off unless <c>Enabled</c> is <c>true</c>. Values are bound as text so
/// that a bad one is refused at start-up with a message naming its setting (see <see cref="SettingNumbers"/>).
/// </summary>
public sealed class KmipSettings
{
    public const string Section = "Kms:Kmip";

    public const int DefaultPort = 5696;

    public const string DefaultHost = "0.0.0.0";

    public const int DefaultMaxMessageBytes = 1024 * 1024;

    public const int DefaultMaxConnections = 1024;

    public const int DefaultIdleTimeoutSeconds = 300;

    public const int DefaultCertificateDays = 365;

    public const int MaxCertificateDays = 3650;

    /// <summary><c>true</c> or <c>false</c>; absent means false.</summary>
    public string? Enabled { get; set; }

    /// <summary>1 to 65535 (5696 by default); 0 picks a free port (tests).</summary>
    public string? Port { get; set; }

    /// <summary>The IP address to listen on: every interface by default, since infrastructure reaches KMIP over the network.</summary>
    public string? Host { get; set; }

    /// <summary>DNS names and IP addresses the server certificate names (its SANs); localhost, 127.0.0.1 and the machine's host name by default.</summary>
    public List<string> ServerNames { get; set; } = [];

    /// <summary>The largest KMIP message accepted, in bytes (4096 to 67108864; 1 MiB by default).</summary>
    public string? MaxMessageBytes { get; set; }

    public string? MaxConnections { get; set; }

    /// <summary>Seconds a connection may wait between messages before it is closed.</summary>
    public string? IdleTimeoutSeconds { get; set; }

    /// <summary>How long a client certificate is valid when the request names no TTL.</summary>
    public string? CertificateDays { get; set; }

    public bool IsEnabled => bool.TryParse(Enabled?.Trim(), out bool on) && on;

    public int PortNumber => SettingNumbers.Parse(Port?.Trim(), 0, 65535, Key(nameof(Port))) ?? DefaultPort;

    public IPAddress Address => IPAddress.Parse(string.IsNullOrWhiteSpace(Host) ? DefaultHost : Host.Trim());

    public int MaxMessageLength => SettingNumbers.Parse(MaxMessageBytes?.Trim(), 4096, 64 * 1024 * 1024, Key(nameof(MaxMessageBytes))) ?? DefaultMaxMessageBytes;

    public int ConnectionLimit => SettingNumbers.Parse(MaxConnections?.Trim(), 1, 100_000, Key(nameof(MaxConnections))) ?? DefaultMaxConnections;

    public TimeSpan IdleTimeout => TimeSpan.FromSeconds(
        SettingNumbers.Parse(IdleTimeoutSeconds?.Trim(), 1, 86_400, Key(nameof(IdleTimeoutSeconds))) ?? DefaultIdleTimeoutSeconds);

    public TimeSpan CertificateLifetime => TimeSpan.FromDays(
        SettingNumbers.Parse(CertificateDays?.Trim(), 1, MaxCertificateDays, Key(nameof(CertificateDays))) ?? DefaultCertificateDays);

    /// <summary>The SANs of the server certificate.</summary>
    public IReadOnlyList<string> ServerNamesOrDefault =>
        ServerNames.Count(n => !string.IsNullOrWhiteSpace(n)) > 0
            ? [.. ServerNames.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()).Distinct(StringComparer.OrdinalIgnoreCase)]
            : [.. new[] { "localhost", "127.0.0.1", Dns.GetHostName() }.Distinct(StringComparer.OrdinalIgnoreCase)];

    /// <summary>One message per bad value, each naming its setting.</summary>
    public IEnumerable<string> Problems()
    {
        if (!string.IsNullOrWhiteSpace(Enabled) && !bool.TryParse(Enabled.Trim(), out _))
        {
            yield return $"{Key(nameof(Enabled))} must be true or false.";
        }

        if (!SettingNumbers.TryParse(Port?.Trim(), 0, 65535, out _))
        {
            yield return $"{Key(nameof(Port))} must be a port number from 1 to 65535 ({DefaultPort} by default).";
        }

        if (!string.IsNullOrWhiteSpace(Host) && !IPAddress.TryParse(Host.Trim(), out _))
        {
            yield return $"{Key(nameof(Host))} must be an IP address to listen on, such as 0.0.0.0 or 127.0.0.1.";
        }

        if (!SettingNumbers.TryParse(MaxMessageBytes?.Trim(), 4096, 64 * 1024 * 1024, out _))
        {
            yield return $"{Key(nameof(MaxMessageBytes))} must be a whole number of bytes from 4096 to 67108864.";
        }

        if (!SettingNumbers.TryParse(MaxConnections?.Trim(), 1, 100_000, out _))
        {
            yield return $"{Key(nameof(MaxConnections))} must be a whole number from 1 to 100000.";
        }

        if (!SettingNumbers.TryParse(IdleTimeoutSeconds?.Trim(), 1, 86_400, out _))
        {
            yield return $"{Key(nameof(IdleTimeoutSeconds))} must be a whole number of seconds from 1 to 86400.";
        }

        if (!SettingNumbers.TryParse(CertificateDays?.Trim(), 1, MaxCertificateDays, out _))
        {
            yield return $"{Key(nameof(CertificateDays))} must be a whole number of days from 1 to {MaxCertificateDays}.";
        }

        foreach (string name in ServerNames.Where(n => !string.IsNullOrWhiteSpace(n) && Uri.CheckHostName(n.Trim()) == UriHostNameType.Unknown))
        {
            yield return $"{Key(nameof(ServerNames))} has \"{name}\", which is neither a DNS name nor an IP address.";
        }
    }

    private static string Key(string property) => $"{Section}:{property}";
}

internal sealed class KmipSettingsValidator : IValidateOptions<KmipSettings>
{
    public ValidateOptionsResult Validate(string? name, KmipSettings options)
    {
        List<string> problems = [.. options.Problems()];
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
