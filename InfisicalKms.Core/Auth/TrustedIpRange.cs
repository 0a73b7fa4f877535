using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace InfisicalKms.Core.Auth;

/// <summary>An IPv4 or IPv6 network from a trusted-IP entry (spec §8.12), stored as its network address.</summary>
public sealed partial record TrustedIpRange(IPAddress Network, int Prefix)
{
    public const string InvalidMessage = "The IP is not a valid IPv4, IPv6, or CIDR block";

    public static readonly IReadOnlyList<TrustedIpRange> Everyone = [Parse("0.0.0.0/0"), Parse("::/0")];

    public string Type => Network.AddressFamily == AddressFamily.InterNetwork ? "ipv4" : "ipv6";

    /// <summary>Parses <c>10.0.0.7</c>, <c>10.0.0.0/8</c>, <c>2001:db8::/32</c>; host bits are cleared.</summary>
    /// <remarks>
    /// Only the standard text forms: four decimal IPv4 octets without leading zeros, and RFC 4291 IPv6
    /// (whose embedded IPv4 part follows the same rule), with a decimal prefix. The forms that
    /// <c>inet_aton</c> also reads (<c>1.2.3</c> as 1.2.0.3, <c>0x7f.1</c> as 127.0.0.1, <c>010.0.0.1</c> as
    /// octal) are refused, because a reader of the stored list would take them for another network.
    /// </remarks>
    public static bool TryParse(string? text, out TrustedIpRange range)
    {
        range = null!;
        if (text is null || CanonicalForm().Match(text) is not { Success: true } match
            || !IPAddress.TryParse(match.Groups["address"].Value, out IPAddress? address))
        {
            return false;
        }

        bool isV6 = match.Groups["address"].Value.Contains(':');
        if (isV6 != (address.AddressFamily == AddressFamily.InterNetworkV6))
        {
            return false;
        }

        int max = isV6 ? 128 : 32;
        int prefix = max;
        if (match.Groups["prefix"].Success
            && (!int.TryParse(match.Groups["prefix"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > max))
        {
            return false;
        }

        range = new TrustedIpRange(Mask(address, prefix), prefix);
        return true;
    }

    public static TrustedIpRange Parse(string text) =>
        TryParse(text, out TrustedIpRange range) ? range : throw new FormatException(InvalidMessage);

    /// <summary>Whether <paramref name="client"/> is inside; IPv4-mapped IPv6 clients match as IPv4.</summary>
    /// <remarks>
    /// An unknown address (an in-process or Unix-socket connection) matches only the whole-internet
    /// ranges (prefix 0): any real restriction fails closed for it.
    /// </remarks>
    public bool Contains(IPAddress? client)
    {
        if (client is null)
        {
            return Prefix == 0;
        }

        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }

        return client.AddressFamily == Network.AddressFamily && Mask(client, Prefix).Equals(Network);
    }

    public override string ToString() => $"{Network}/{Prefix}";

    /// <summary>Storage form: comma-separated CIDR blocks.</summary>
    public static string Join(IEnumerable<TrustedIpRange> ranges) => string.Join(",", ranges);

    public static IReadOnlyList<TrustedIpRange> Split(string stored) =>
        stored.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Parse).ToArray();

    // An IPv4 address is four canonical octets; an IPv6 address is hex groups and colons, optionally ending in
    // such an IPv4 address (no zone, no brackets); the prefix is decimal without leading zeros.
    private const string Octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    private const string IPv4 = "(?:" + Octet + @"\.){3}" + Octet;
    private const string IPv6 = "[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(?:" + IPv4 + ")?";

    [GeneratedRegex("^(?<address>" + IPv4 + "|" + IPv6 + @")(?:/(?<prefix>0|[1-9][0-9]{0,2}))?\z", RegexOptions.CultureInvariant)]
    private static partial Regex CanonicalForm();

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= unchecked((byte)(0xFF << (8 - bits)));   // bits = 0 keeps nothing of this byte
        }

        return new IPAddress(bytes);
    }
}
