using System.Globalization;
using System.Numerics;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Kmip.Ttlv;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>
/// The encoding examples of KMIP 1.x §9.1.2, in both directions. The bytes are the specification's own
/// (the same in 1.2 and 1.4); every example uses tag 0x420020, which is Compromise Date.
/// </summary>
public sealed class TtlvSpecExamplesTests
{
    private const KmipTag Tag = (KmipTag)0x420020;

    private sealed record Example(TtlvItem Item, string Hex, Action<TtlvItem> AssertValue);

    private static readonly Dictionary<string, Example> Examples = new()
    {
        ["Integer 8"] = new(
            TtlvItem.Integer(Tag, 8),
            "42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00",
            item => Assert.Equal(8, item.AsInteger())),
        ["Long Integer 123456789000000000"] = new(
            TtlvItem.LongInteger(Tag, 123456789000000000),
            "42 00 20 | 03 | 00 00 00 08 | 01 B6 9B 4B A5 74 92 00",
            item => Assert.Equal(123456789000000000, item.AsLongInteger())),
        ["Big Integer 1234567890000000000000000000"] = new(
            TtlvItem.BigInteger(Tag, BigInteger.Parse("1234567890000000000000000000", CultureInfo.InvariantCulture)),
            "42 00 20 | 04 | 00 00 00 10 | 00 00 00 00 03 FD 35 EB 6B C2 DF 46 18 08 00 00",
            item => Assert.Equal(BigInteger.Parse("1234567890000000000000000000", CultureInfo.InvariantCulture), item.AsBigInteger())),
        ["Enumeration 255"] = new(
            TtlvItem.Enumeration(Tag, 255),
            "42 00 20 | 05 | 00 00 00 04 | 00 00 00 FF 00 00 00 00",
            item => Assert.Equal(255u, item.AsEnumeration())),
        ["Boolean True"] = new(
            TtlvItem.Boolean(Tag, true),
            "42 00 20 | 06 | 00 00 00 08 | 00 00 00 00 00 00 00 01",
            item => Assert.True(item.AsBoolean())),
        ["Text String Hello World"] = new(
            TtlvItem.Text(Tag, "Hello World"),
            "42 00 20 | 07 | 00 00 00 0B | 48 65 6C 6C 6F 20 57 6F 72 6C 64 00 00 00 00 00",
            item => Assert.Equal("Hello World", item.AsText())),
        ["Byte String 01 02 03"] = new(
            TtlvItem.Bytes(Tag, [0x01, 0x02, 0x03]),
            "42 00 20 | 08 | 00 00 00 03 | 01 02 03 00 00 00 00 00",
            item => Assert.Equal([0x01, 0x02, 0x03], item.AsBytes())),
        ["Date-Time 2008-03-14 11:56:40 GMT"] = new(
            TtlvItem.DateTime(Tag, new DateTimeOffset(2008, 3, 14, 11, 56, 40, TimeSpan.Zero)),
            "42 00 20 | 09 | 00 00 00 08 | 00 00 00 00 47 DA 67 F8",
            item => Assert.Equal(new DateTimeOffset(2008, 3, 14, 11, 56, 40, TimeSpan.Zero), item.AsDateTime())),
        ["Interval 10 days"] = new(
            TtlvItem.Interval(Tag, (uint)TimeSpan.FromDays(10).TotalSeconds),
            "42 00 20 | 0A | 00 00 00 04 | 00 0D 2F 00 00 00 00 00",
            item => Assert.Equal(864_000u, item.AsInterval())),
        ["Structure of Enumeration 254 and Integer 255"] = new(
            TtlvItem.Structure(Tag,
                TtlvItem.Enumeration(KmipTag.ApplicationSpecificInformation, 254),
                TtlvItem.Integer(KmipTag.ArchiveDate, 255)),
            "42 00 20 | 01 | 00 00 00 20 | 42 00 04 | 05 | 00 00 00 04 | 00 00 00 FE 00 00 00 00 | "
                + "42 00 05 | 02 | 00 00 00 04 | 00 00 00 FF 00 00 00 00",
            item =>
            {
                Assert.Equal(2, item.Children.Count);
                Assert.Equal(254u, item.Require(KmipTag.ApplicationSpecificInformation).AsEnumeration());
                Assert.Equal(255, item.Require(KmipTag.ArchiveDate).AsInteger());
            }),
    };

    public static TheoryData<string> Names => [.. Examples.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void Encode_SpecExample_GivesTheSpecBytes(string name)
    {
        Example example = Examples[name];

        Assert.Equal(TtlvHex.Format(TtlvHex.Parse(example.Hex)), TtlvHex.Format(TtlvCodec.Encode(example.Item)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Decode_SpecBytes_GivesTheSpecValue(string name)
    {
        Example example = Examples[name];

        TtlvItem decoded = TtlvCodec.Decode(TtlvHex.Parse(example.Hex), TtlvLimits.Default);

        Assert.Equal(Tag, decoded.Tag);
        Assert.Equal(example.Item.Type, decoded.Type);
        example.AssertValue(decoded);
    }
}
