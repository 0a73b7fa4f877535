using System.Numerics;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Kmip.Ttlv;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>Typed access, navigation and the debug form of <see cref="TtlvItem"/>.</summary>
public sealed class TtlvItemTests
{
    private static readonly TtlvItem BatchItem = TtlvItem.Structure(KmipTag.BatchItem,
        TtlvItem.Enumeration(KmipTag.Operation, KmipOperation.Get),
        TtlvItem.Structure(KmipTag.RequestPayload,
            TtlvItem.Text(KmipTag.UniqueIdentifier, "1"),
            TtlvItem.Text(KmipTag.UniqueIdentifier, "2")));

    [Fact]
    public void AsEnumeration_OnAnInteger_ThrowsNamingTagAndTypes()
    {
        TtlvItem item = TtlvItem.Integer(KmipTag.Operation, 1);

        var e = Assert.Throws<TtlvFormatException>(() => item.AsEnumeration());

        Assert.Equal("Operation is Integer, expected Enumeration", e.Message);
    }

    [Fact]
    public void EveryAccessor_OnTheWrongType_ThrowsTtlvFormatException()
    {
        TtlvItem structure = TtlvItem.Structure(KmipTag.RequestPayload);
        TtlvItem text = TtlvItem.Text(KmipTag.NameValue, "k");

        Assert.Throws<TtlvFormatException>(() => structure.AsInteger());
        Assert.Throws<TtlvFormatException>(() => structure.AsLongInteger());
        Assert.Throws<TtlvFormatException>(() => structure.AsBigInteger());
        Assert.Throws<TtlvFormatException>(() => structure.AsEnumeration());
        Assert.Throws<TtlvFormatException>(() => structure.AsBoolean());
        Assert.Throws<TtlvFormatException>(() => structure.AsText());
        Assert.Throws<TtlvFormatException>(() => text.AsBytes());
        Assert.Throws<TtlvFormatException>(() => text.AsByteSpan().Length);
        Assert.Throws<TtlvFormatException>(() => structure.AsDateTime());
        Assert.Throws<TtlvFormatException>(() => structure.AsInterval());
    }

    [Fact]
    public void FindAndFindAll_LookAtDirectChildrenOnly()
    {
        TtlvItem payload = BatchItem.Require(KmipTag.RequestPayload);

        Assert.Equal(KmipOperation.Get, BatchItem.Require(KmipTag.Operation).AsEnumeration<KmipOperation>());
        Assert.Null(BatchItem.Find(KmipTag.UniqueIdentifier));
        Assert.Equal("1", payload.Find(KmipTag.UniqueIdentifier)?.AsText());
        Assert.Equal(["1", "2"], payload.FindAll(KmipTag.UniqueIdentifier).Select(i => i.AsText()));
        Assert.Empty(payload.FindAll(KmipTag.Name));
    }

    [Fact]
    public void Require_MissingField_ThrowsTtlvMissingException()
    {
        var e = Assert.Throws<TtlvMissingException>(() => BatchItem.Require(KmipTag.UniqueBatchItemId));

        Assert.Equal(KmipTag.UniqueBatchItemId, e.Tag);
        Assert.Equal("Required field UniqueBatchItemId is missing from BatchItem", e.Message);
        Assert.IsAssignableFrom<TtlvFormatException>(e);
    }

    [Fact]
    public void AsBytes_ReturnsACopy()
    {
        TtlvItem item = TtlvItem.Bytes(KmipTag.KeyMaterial, [1, 2, 3]);

        item.AsBytes()[0] = 9;

        Assert.Equal([1, 2, 3], item.AsBytes());
    }

    [Fact]
    public void Text_WithALoneSurrogate_IsRefused() =>
        Assert.Throws<ArgumentException>(() => TtlvItem.Text(KmipTag.NameValue, "key\uD800"));

    [Fact]
    public void Factory_TagOutsideTheTwoRanges_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TtlvItem.Integer((KmipTag)0x43_0001, 1));

    [Fact]
    public void ToString_ShowsTheTreeWithEnumerationNames()
    {
        TtlvItem item = TtlvItem.Structure(KmipTag.ResponseHeader,
            TtlvItem.Enumeration(KmipTag.ResultStatus, KmipResultStatus.OperationFailed),
            TtlvItem.Enumeration(KmipTag.ResultReason, 0x8000_0001u),
            TtlvItem.DateTime(KmipTag.TimeStamp, new DateTimeOffset(2008, 3, 14, 11, 56, 40, TimeSpan.Zero)),
            TtlvItem.Interval(KmipTag.LeaseTime, 60),
            TtlvItem.Boolean(KmipTag.Fresh, true),
            TtlvItem.Text(KmipTag.ResultMessage, "line\nbreak \"quoted\""));

        Assert.Equal(
            "ResponseHeader{ResultStatus=OperationFailed, ResultReason=0x80000001, TimeStamp=2008-03-14T11:56:40Z, "
            + "LeaseTime=60s, Fresh=true, ResultMessage=\"line\\u000Abreak \\\"quoted\\\"\"}",
            item.ToString());
    }

    [Fact]
    public void ToString_NeverShowsKeyMaterialOrPasswords()
    {
        byte[] key = Convert.FromHexString("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF");
        TtlvItem item = TtlvItem.Structure(KmipTag.RequestMessage,
            TtlvItem.Structure(KmipTag.Credential,
                TtlvItem.Text(KmipTag.Username, "alice"),
                TtlvItem.Text(KmipTag.Password, "hunter2-secret")),
            TtlvItem.Bytes(KmipTag.KeyMaterial, key),
            TtlvItem.BigInteger(KmipTag.PrivateExponent, new BigInteger(key, isUnsigned: true, isBigEndian: true)));

        string text = item.ToString();

        Assert.Equal(
            "RequestMessage{Credential{Username=\"alice\", Password=TextString(redacted)}, KeyMaterial=ByteString(32 bytes), "
            + "PrivateExponent=BigInteger(32 bytes)}",
            text);
        Assert.DoesNotContain("hunter2", text);
        Assert.DoesNotContain("112233", text);
    }

    [Fact]
    public void ToString_LongText_IsCut()
    {
        string text = TtlvItem.Text(KmipTag.Description, new string('a', 1000)).ToString();

        Assert.Equal("Description=\"" + new string('a', 256) + "…\"", text);
    }
}
