using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace InfisicalKms.Core.Auth;

/// <summary>An IPv4 or IPv6 network from a trusted-IP entry (spec §8.12), stored as its network address.</summary>
public sealed record TrustedIpRange(IPAddress Network, int Prefix)
{
    public const string InvalidMessage = "The IP is not a valid IPv4, IPv6, or CIDR block";

    public static readonly IReadOnlyList<TrustedIpRange> Everyone = [Parse("0.0.0.0/0"), Parse("::/0")];

    public string Type => Network.AddressFamily == AddressFamily.InterNetwork ? "ipv4" : "ipv6";

    /// <summary>Parses <c>10.0.0.7</c>, <c>10.0.0.0/8</c>, <c>2001:db8::/32</c>; host bits are cleared.</summary>
    public static bool TryParse(string? text, out TrustedIpRange range)
    {
        range = null!;
        if (string.IsNullOrWhiteSpace(text) || text.Trim() != text)
        {
            return false;
        }

        string[] parts = text.Split('/');
        if (parts.Length > 2 || !IPAddress.TryParse(parts[0], out IPAddress? address) || parts[0].Contains('%'))
        {
            return false;
        }

        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int prefix = max;
        if (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > max))
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
