using System.Globalization;
using System.Numerics;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Kmip.Ttlv;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>Encode then decode gives back the same value and the same bytes, for every type and its edge values.</summary>
public sealed class TtlvRoundTripTests
{
    private const KmipTag Tag = KmipTag.AttributeValue;

    /// <summary>
    /// A Create request for an AES-256 key at KMIP 1.4, as PyKMIP 0.10 (Debian python3-pykmip) writes it:
    /// RequestMessage(RequestHeader(ProtocolVersion(1, 4), BatchCount 1), BatchItem(Operation Create,
    /// RequestPayload(ObjectType SymmetricKey, TemplateAttribute(algorithm AES, length 256,
    /// usage Encrypt|Decrypt, Name "key-1")))). An independent implementation's bytes for the same message.
    /// </summary>
    private const string PyKmipCreateRequest =
        "42007801000001604200770100000038420069010000002042006A0200000004000000010000000042006B02000000040000000400000000"
        + "42000D0200000004000000010000000042000F010000011842005C050000000400000001000000004200790100000100420057050000"
        + "0004000000020000000042009101000000E8420008010000003042000A070000001743727970746F6772617068696320416C676F7269"
        + "74686D0042000B05000000040000000300000000420008010000003042000A070000001443727970746F67726170686963204C656E67"
        + "74680000000042000B02000000040000010000000000420008010000003042000A070000001843727970746F67726170686963205573"
        + "616765204D61736B42000B02000000040000000C00000000420008010000003842000A07000000044E616D650000000042000B010000"
        + "002042005507000000056B65792D3100000042005405000000040000000100000000";

    public static TheoryData<int> Integers => [0, 1, -1, 8, int.MinValue, int.MaxValue];

    public static TheoryData<long> LongIntegers => [0L, -1L, long.MinValue, long.MaxValue, 123456789000000000L];

    public static TheoryData<string> BigIntegers =>
    [
        "0", "1", "-1", "127", "128", "-128", "-129", "255", "-256",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "-1606938044258990275541962092341162602522202993782792835301376",
    ];

    public static TheoryData<uint> Unsigned => [0u, 1u, 255u, 0x80000000u, uint.MaxValue];

    public static TheoryData<long> DateTimes =>
    [
        0L, 1205495800L, -1L, DateTimeOffset.MinValue.ToUnixTimeSeconds(), DateTimeOffset.MaxValue.ToUnixTimeSeconds(),
    ];

    public static TheoryData<string> Texts => ["", "1234567", "12345678", "123456789", "κλειδί 🔑 鍵", "a\0b"];

    public static TheoryData<int> ByteLengths => [0, 1, 7, 8, 9, 16, 1000];

    [Theory]
    [MemberData(nameof(Integers))]
    public void Integer_RoundTrips(int value) =>
        Assert.Equal(value, RoundTrip(TtlvItem.Integer(Tag, value), expectedLength: 4).AsInteger());

    [Theory]
    [MemberData(nameof(LongIntegers))]
    public void LongInteger_RoundTrips(long value) =>
        Assert.Equal(value, RoundTrip(TtlvItem.LongInteger(Tag, value), expectedLength: 8).AsLongInteger());

    [Theory]
    [MemberData(nameof(BigIntegers))]
    public void BigInteger_RoundTripsSignExtendedToMultipleOf8(string text)
    {
        BigInteger value = BigInteger.Parse(text, CultureInfo.InvariantCulture);
        TtlvItem item = TtlvItem.BigInteger(Tag, value);
        byte[] encoded = TtlvCodec.Encode(item);

        Assert.Equal(value, RoundTrip(item, expectedLength: item.ValueLength).AsBigInteger());
        Assert.Equal(0, item.ValueLength % 8);
        Assert.True(item.ValueLength - value.GetByteCount() < 8, "padded with the minimal number of bytes");
        byte sign = value.Sign < 0 ? (byte)0xFF : (byte)0x00;
        Assert.All(encoded[8..(8 + item.ValueLength - value.GetByteCount())], b => Assert.Equal(sign, b));
    }

    [Fact]
    public void BigInteger_MinusOne_IsEightFfBytes() =>
        Assert.Equal("4200" + "0B04" + "00000008" + "FFFFFFFFFFFFFFFF",
            TtlvHex.Format(TtlvCodec.Encode(TtlvItem.BigInteger(Tag, BigInteger.MinusOne))));

    [Theory]
    [MemberData(nameof(Unsigned))]
    public void Enumeration_RoundTrips(uint value) =>
        Assert.Equal(value, RoundTrip(TtlvItem.Enumeration(Tag, value), expectedLength: 4).AsEnumeration());

    [Theory]
    [MemberData(nameof(Unsigned))]
    public void Interval_RoundTrips(uint value) =>
        Assert.Equal(value, RoundTrip(TtlvItem.Interval(Tag, value), expectedLength: 4).AsInterval());

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Boolean_RoundTrips(bool value) =>
        Assert.Equal(value, RoundTrip(TtlvItem.Boolean(Tag, value), expectedLength: 8).AsBoolean());

    [Theory]
    [MemberData(nameof(DateTimes))]
    public void DateTime_RoundTrips(long seconds)
    {
        DateTimeOffset value = DateTimeOffset.FromUnixTimeSeconds(seconds);

        Assert.Equal(value, RoundTrip(TtlvItem.DateTime(Tag, value), expectedLength: 8).AsDateTime());
    }

    [Fact]
    public void DateTime_WithFractionAndOffset_IsStoredAsUtcSeconds()
    {
        var local = new DateTimeOffset(2008, 3, 14, 13, 56, 40, 999, TimeSpan.FromHours(2));

        DateTimeOffset decoded = RoundTrip(TtlvItem.DateTime(Tag, local), expectedLength: 8).AsDateTime();

        Assert.Equal(new DateTimeOffset(2008, 3, 14, 11, 56, 40, TimeSpan.Zero), decoded);
        Assert.Equal(TimeSpan.Zero, decoded.Offset);
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Text_RoundTripsAsUtf8(string value)
    {
        int utf8Length = System.Text.Encoding.UTF8.GetByteCount(value);

        Assert.Equal(value, RoundTrip(TtlvItem.Text(Tag, value), expectedLength: utf8Length).AsText());
    }

    [Theory]
    [MemberData(nameof(ByteLengths))]
    public void Bytes_RoundTripWithZeroPadding(int length)
    {
        byte[] value = [.. Enumerable.Range(1, length).Select(i => (byte)i)];
        TtlvItem item = TtlvItem.Bytes(Tag, value);
        byte[] encoded = TtlvCodec.Encode(item);

        Assert.Equal(value, RoundTrip(item, expectedLength: length).AsBytes());
        Assert.Equal(8 + (length + 7) / 8 * 8, encoded.Length);
        Assert.All(encoded[(8 + length)..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void NestedStructures_RoundTripWithChildrenInOrder()
    {
        TtlvItem tree = TtlvItem.Structure(KmipTag.TemplateAttribute,
            TtlvItem.Structure(KmipTag.Attribute,
                TtlvItem.Text(KmipTag.AttributeName, KmipAttributeNames.Name),
                TtlvItem.Structure(KmipTag.AttributeValue,
                    TtlvItem.Text(KmipTag.NameValue, "k"),
                    TtlvItem.Enumeration(KmipTag.NameType, KmipNameType.UninterpretedTextString))),
            TtlvItem.Structure(KmipTag.Attribute),
            null,
            TtlvItem.Structure(KmipTag.Attribute, TtlvItem.Text(KmipTag.AttributeName, "x-empty")));

        TtlvItem decoded = RoundTrip(tree, expectedLength: tree.ValueLength);

        Assert.Equal(3, decoded.Children.Count);
        Assert.Equal("k", decoded.Children[0].Require(KmipTag.AttributeValue).Require(KmipTag.NameValue).AsText());
        Assert.Empty(decoded.Children[1].Children);
        Assert.Equal("x-empty", decoded.Children[2].Require(KmipTag.AttributeName).AsText());
    }

    [Fact]
    public void Encode_RequestMessage_MatchesPyKmipBytes()
    {
        TtlvItem request = CreateRequest();

        Assert.Equal(PyKmipCreateRequest, TtlvHex.Format(TtlvCodec.Encode(request)));
    }

    [Fact]
    public void Decode_PyKmipRequestMessage_NavigatesToEveryField()
    {
        TtlvItem message = TtlvCodec.Decode(Convert.FromHexString(PyKmipCreateRequest), TtlvLimits.Default);

        TtlvItem header = message.Require(KmipTag.RequestHeader);
        Assert.Equal(1, header.Require(KmipTag.ProtocolVersion).Require(KmipTag.ProtocolVersionMajor).AsInteger());
        Assert.Equal(4, header.Require(KmipTag.ProtocolVersion).Require(KmipTag.ProtocolVersionMinor).AsInteger());
        Assert.Equal(1, header.Require(KmipTag.BatchCount).AsInteger());
        TtlvItem batchItem = Assert.Single(message.FindAll(KmipTag.BatchItem));
        Assert.Equal(KmipOperation.Create, batchItem.Require(KmipTag.Operation).AsEnumeration<KmipOperation>());
        TtlvItem payload = batchItem.Require(KmipTag.RequestPayload);
        Assert.Equal(KmipObjectType.SymmetricKey, payload.Require(KmipTag.ObjectType).AsEnumeration<KmipObjectType>());
        List<TtlvItem> attributes = [.. payload.Require(KmipTag.TemplateAttribute).FindAll(KmipTag.Attribute)];
        Assert.Equal(
            [KmipAttributeNames.CryptographicAlgorithm, KmipAttributeNames.CryptographicLength,
             KmipAttributeNames.CryptographicUsageMask, KmipAttributeNames.Name],
            attributes.Select(a => a.Require(KmipTag.AttributeName).AsText()));
        Assert.Equal(256, attributes[1].Require(KmipTag.AttributeValue).AsInteger());
        Assert.Equal(KmipCryptographicUsageMask.Encrypt | KmipCryptographicUsageMask.Decrypt,
            (KmipCryptographicUsageMask)attributes[2].Require(KmipTag.AttributeValue).AsInteger());
        Assert.Equal("key-1", attributes[3].Require(KmipTag.AttributeValue).Require(KmipTag.NameValue).AsText());
        Assert.Equal(PyKmipCreateRequest, TtlvHex.Format(TtlvCodec.Encode(message)));
    }

    [Fact]
    public void Encode_ToBufferWriterWithDirtyMemory_WritesTheSameBytes()
    {
        TtlvItem request = CreateRequest();
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        writer.GetSpan(4096).Fill(0xAA);   // the writer hands this memory out again; padding must still be zero

        TtlvCodec.Encode(request, writer);

        Assert.Equal(PyKmipCreateRequest, TtlvHex.Format(writer.WrittenSpan));
    }

    internal static TtlvItem CreateRequest() =>
        TtlvItem.Structure(KmipTag.RequestMessage,
            TtlvItem.Structure(KmipTag.RequestHeader,
                TtlvItem.Structure(KmipTag.ProtocolVersion,
                    TtlvItem.Integer(KmipTag.ProtocolVersionMajor, 1),
                    TtlvItem.Integer(KmipTag.ProtocolVersionMinor, 4)),
                TtlvItem.Integer(KmipTag.BatchCount, 1)),
            TtlvItem.Structure(KmipTag.BatchItem,
                TtlvItem.Enumeration(KmipTag.Operation, KmipOperation.Create),
                TtlvItem.Structure(KmipTag.RequestPayload,
                    TtlvItem.Enumeration(KmipTag.ObjectType, KmipObjectType.SymmetricKey),
                    TtlvItem.Structure(KmipTag.TemplateAttribute,
                        Attribute(KmipAttributeNames.CryptographicAlgorithm,
                            TtlvItem.Enumeration(KmipTag.AttributeValue, KmipCryptographicAlgorithm.Aes)),
                        Attribute(KmipAttributeNames.CryptographicLength, TtlvItem.Integer(KmipTag.AttributeValue, 256)),
                        Attribute(KmipAttributeNames.CryptographicUsageMask, TtlvItem.Integer(KmipTag.AttributeValue,
                            (int)(KmipCryptographicUsageMask.Encrypt | KmipCryptographicUsageMask.Decrypt))),
                        Attribute(KmipAttributeNames.Name, TtlvItem.Structure(KmipTag.AttributeValue,
                            TtlvItem.Text(KmipTag.NameValue, "key-1"),
                            TtlvItem.Enumeration(KmipTag.NameType, KmipNameType.UninterpretedTextString)))))));

    private static TtlvItem Attribute(string name, TtlvItem value) =>
        TtlvItem.Structure(KmipTag.Attribute, TtlvItem.Text(KmipTag.AttributeName, name), value);

    /// <summary>Encodes, checks the header and total length, decodes, and checks the decoded item re-encodes identically.</summary>
    private static TtlvItem RoundTrip(TtlvItem item, int expectedLength)
    {
        byte[] encoded = TtlvCodec.Encode(item);
        Assert.Equal(expectedLength, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(encoded.AsSpan(4)));
        Assert.Equal((byte)item.Type, encoded[3]);
        Assert.Equal(0, encoded.Length % 8);
        Assert.Equal(item.EncodedLength, encoded.Length);

        TtlvItem decoded = TtlvCodec.Decode(encoded, TtlvLimits.Default);

        Assert.Equal(item.Tag, decoded.Tag);
        Assert.Equal(item.Type, decoded.Type);
        Assert.Equal(encoded, TtlvCodec.Encode(decoded));
        return decoded;
    }
}
