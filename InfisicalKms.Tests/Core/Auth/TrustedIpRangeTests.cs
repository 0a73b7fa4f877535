using System.Net;
using InfisicalKms.Core.Auth;

namespace InfisicalKms.Tests.Core.Auth;

public sealed class TrustedIpRangeTests
{
    [Theory]
    [InlineData("10.0.0.7", "10.0.0.7", 32, "ipv4")]
    [InlineData("10.1.2.3/8", "10.0.0.0", 8, "ipv4")]
    [InlineData("0.0.0.0/0", "0.0.0.0", 0, "ipv4")]
    [InlineData("2001:db8::1", "2001:db8::1", 128, "ipv6")]
    [InlineData("2001:db8:ffff::/32", "2001:db8::", 32, "ipv6")]
    [InlineData("::/0", "::", 0, "ipv6")]
    public void TryParse_AddressOrCidr_NormalisesToNetwork(string text, string network, int prefix, string type)
    {
        Assert.True(TrustedIpRange.TryParse(text, out TrustedIpRange range));
        Assert.Equal(IPAddress.Parse(network), range.Network);
        Assert.Equal(prefix, range.Prefix);
        Assert.Equal(type, range.Type);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 10.0.0.1")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/8/8")]
    [InlineData("::/129")]
    [InlineData("fe80::1%eth0")]
    [InlineData("example.com")]
    [InlineData("10.0.0.1\n")]
    [InlineData("[2001:db8::1]")]
    public void TryParse_NotAnAddress_ReturnsFalse(string text) =>
        Assert.False(TrustedIpRange.TryParse(text, out _));

    [Theory]
    [InlineData("1.2.3")]            // inet_aton: 1.2.0.3 (issue #12's probe)
    [InlineData("0x7f.1")]           // inet_aton: 127.0.0.1 (issue #12's probe)
    [InlineData("127.1")]            // 127.0.0.1
    [InlineData("2130706433")]       // 127.0.0.1 as one number
    [InlineData("010.0.0.1")]        // octal to inet_aton: 8.0.0.1
    [InlineData("10.0.0.01")]
    [InlineData("0x0a.0.0.1")]
    [InlineData("10.0.0.0/08")]
    [InlineData("10.0.0.0/+8")]
    [InlineData("::ffff:1.2.3")]
    [InlineData("::ffff:010.0.0.1")]
    [InlineData("１０.0.0.1")]        // full-width digits
    public void TryParse_NonCanonicalForm_ReturnsFalse(string text) =>
        Assert.False(TrustedIpRange.TryParse(text, out _));

    [Theory]
    [InlineData("::ffff:10.0.0.1", "::ffff:10.0.0.1", 128)]
    [InlineData("2001:DB8::1", "2001:db8::1", 128)]
    [InlineData("::1", "::1", 128)]
    [InlineData("0.0.0.0", "0.0.0.0", 32)]
    [InlineData("255.255.255.255/32", "255.255.255.255", 32)]
    public void TryParse_StandardForms_AreAccepted(string text, string network, int prefix)
    {
        Assert.True(TrustedIpRange.TryParse(text, out TrustedIpRange range));
        Assert.Equal(IPAddress.Parse(network), range.Network);
        Assert.Equal(prefix, range.Prefix);
    }

    [Fact]
    public void Split_StoredForm_ParsesBack()
    {
        TrustedIpRange[] ranges = [TrustedIpRange.Parse("10.1.2.3/8"), TrustedIpRange.Parse("2001:db8::/32"), TrustedIpRange.Parse("::ffff:10.0.0.0/104")];
        Assert.Equal(ranges, TrustedIpRange.Split(TrustedIpRange.Join(ranges)));
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.200.3.4", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("10.0.0.0/8", "::ffff:10.9.9.9", true)]
    [InlineData("192.168.1.0/24", "192.168.1.255", true)]
    [InlineData("192.168.1.0/24", "192.168.2.0", false)]
    [InlineData("2001:db8::/32", "2001:db8:1::5", true)]
    [InlineData("2001:db8::/32", "10.0.0.1", false)]
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    public void Contains_ClientAddress_MatchesNetwork(string range, string client, bool expected) =>
        Assert.Equal(expected, TrustedIpRange.Parse(range).Contains(IPAddress.Parse(client)));

    [Fact]
    public void Contains_UnknownClient_OnlyWholeInternetMatches()
    {
        Assert.True(TrustedIpRange.Parse("0.0.0.0/0").Contains(null));
        Assert.False(TrustedIpRange.Parse("10.0.0.0/8").Contains(null));
    }

    [Fact]
    public void JoinSplit_RoundTrip_KeepsRanges()
    {
        IReadOnlyList<TrustedIpRange> ranges = [TrustedIpRange.Parse("10.0.0.0/8"), TrustedIpRange.Parse("2001:db8::/32")];
        Assert.Equal(ranges, TrustedIpRange.Split(TrustedIpRange.Join(ranges)));
    }
}
