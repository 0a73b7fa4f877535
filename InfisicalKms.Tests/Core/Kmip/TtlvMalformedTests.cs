using System.Buffers.Binary;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Kmip.Ttlv;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>Every malformed input is refused with <see cref="TtlvFormatException"/> and a message that says why.</summary>
public sealed class TtlvMalformedTests
{
    private static readonly Dictionary<string, (string Hex, string Reason)> Cases = new()
    {
        ["empty message"] = ("", "empty"),
        ["truncated header"] = ("42 00 20 | 02 | 00 00", "header needs 8 bytes"),
        ["truncated value"] = ("42 00 20 | 02 | 00 00 00 04 | 00 00 00 08", "exceeds the 4 bytes left"),
        ["truncated padding"] = ("42 00 20 | 07 | 00 00 00 03 | 41 42 43 00", "padded to 8"),
        ["length larger than the input"] = ("42 00 20 | 08 | 00 10 00 00 | 01 02 03 00 00 00 00 00", "exceeds the 8 bytes left"),
        ["length near 4 GiB"] = ("42 00 20 | 08 | FF FF FF FF | 01 02 03 00 00 00 00 00", "exceeds the 8 bytes left"),
        ["structure length not a multiple of 8"] = ("42 00 20 | 01 | 00 00 00 04 | 00 00 00 00", "not a multiple of 8"),
        ["structure longer than the input"] = ("42 00 20 | 01 | 00 00 00 18 | 42 00 05 | 02 | 00 00 00 04 | 00 00 00 FF 00 00 00 00",
            "Structure length 24 exceeds the 16 bytes left"),
        ["child longer than its structure"] = ("42 00 20 | 01 | 00 00 00 08 | 42 00 05 | 07 | 00 00 00 08 | 41 41 41 41 41 41 41 41",
            "exceeds the 0 bytes left"),
        ["Integer of length 8"] = ("42 00 20 | 02 | 00 00 00 08 | 00 00 00 00 00 00 00 08", "Integer length 8, expected 4"),
        ["Long Integer of length 4"] = ("42 00 20 | 03 | 00 00 00 04 | 00 00 00 08 00 00 00 00", "LongInteger length 4, expected 8"),
        ["Enumeration of length 8"] = ("42 00 20 | 05 | 00 00 00 08 | 00 00 00 00 00 00 00 FF", "Enumeration length 8, expected 4"),
        ["Boolean of length 4"] = ("42 00 20 | 06 | 00 00 00 04 | 00 00 00 01 00 00 00 00", "Boolean length 4, expected 8"),
        ["Date-Time of length 4"] = ("42 00 20 | 09 | 00 00 00 04 | 47 DA 67 F8 00 00 00 00", "DateTime length 4, expected 8"),
        ["Interval of length 8"] = ("42 00 20 | 0A | 00 00 00 08 | 00 00 00 00 00 0D 2F 00", "Interval length 8, expected 4"),
        ["Big Integer of length 12"] = ("42 00 20 | 04 | 00 00 00 0C | 03 FD 35 EB 6B C2 DF 46 18 08 00 00 00 00 00 00",
            "not a positive multiple of 8"),
        ["Big Integer of length 0"] = ("42 00 20 | 04 | 00 00 00 00", "not a positive multiple of 8"),
        ["non-zero Integer padding"] = ("42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 01", "non-zero padding"),
        ["non-zero Text String padding"] = ("42 00 20 | 07 | 00 00 00 0B | 48 65 6C 6C 6F 20 57 6F 72 6C 64 00 00 00 00 20",
            "non-zero padding"),
        ["non-zero Byte String padding"] = ("42 00 20 | 08 | 00 00 00 03 | 01 02 03 00 80 00 00 00", "non-zero padding"),
        ["invalid UTF-8"] = ("42 00 20 | 07 | 00 00 00 02 | C3 28 00 00 00 00 00 00", "not valid UTF-8"),
        ["overlong UTF-8"] = ("42 00 20 | 07 | 00 00 00 02 | C0 AF 00 00 00 00 00 00", "not valid UTF-8"),
        ["UTF-8 of a lone surrogate"] = ("42 00 20 | 07 | 00 00 00 03 | ED A0 80 00 00 00 00 00", "not valid UTF-8"),
        ["truncated UTF-8 sequence"] = ("42 00 20 | 07 | 00 00 00 01 | E2 00 00 00 00 00 00 00", "not valid UTF-8"),
        ["Boolean 2"] = ("42 00 20 | 06 | 00 00 00 08 | 00 00 00 00 00 00 00 02", "neither 0 nor 1"),
        ["Boolean with a high bit"] = ("42 00 20 | 06 | 00 00 00 08 | 80 00 00 00 00 00 00 01", "neither 0 nor 1"),
        ["Date-Time past year 9999"] = ("42 00 20 | 09 | 00 00 00 08 | 7F FF FF FF FF FF FF FF", "outside the years 1 to 9999"),
        ["type 0x00"] = ("42 00 20 | 00 | 00 00 00 00", "unknown item type 0x00"),
        ["type 0x0B (KMIP 2.0 Date-Time Extended)"] = ("42 00 20 | 0B | 00 00 00 08 | 00 00 00 00 00 00 00 00", "unknown item type 0x0B"),
        ["type 0xFF"] = ("42 00 20 | FF | 00 00 00 00", "unknown item type 0xFF"),
        ["tag 0x000000"] = ("00 00 00 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00", "tag 0x000000 is outside"),
        ["tag 0x430001"] = ("43 00 01 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00", "tag 0x430001 is outside"),
        ["tag inside a structure"] = ("42 00 20 | 01 | 00 00 00 10 | 55 00 01 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00",
            "tag 0x550001 is outside"),
        ["trailing bytes"] = ("42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00 | 42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00",
            "16 trailing bytes"),
        ["one trailing byte"] = ("42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00 | 00", "1 trailing bytes"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Decode_MalformedInput_ThrowsTtlvFormatExceptionSayingWhy(string name)
    {
        (string hex, string reason) = Cases[name];

        var e = Assert.Throws<TtlvFormatException>(() => TtlvCodec.Decode(TtlvHex.Parse(hex), TtlvLimits.Default));

        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Decode_ExtensionTag_IsAccepted()
    {
        TtlvItem item = TtlvCodec.Decode(TtlvHex.Parse("54 00 01 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00"), TtlvLimits.Default);

        Assert.Equal((KmipTag)0x540001, item.Tag);
        Assert.Equal("0x540001=8", item.ToString());
    }

    [Fact]
    public void Decode_MessageOverTheSizeLimit_IsRefused()
    {
        byte[] message = TtlvCodec.Encode(TtlvItem.Bytes(KmipTag.Data, new byte[120]));

        var e = Assert.Throws<TtlvFormatException>(() => TtlvCodec.Decode(message, new TtlvLimits(MaxMessageBytes: 64)));

        Assert.Contains("exceeds the limit of 64 bytes", e.Message);
    }

    [Theory]
    [InlineData(16, true)]
    [InlineData(17, false)]
    [InlineData(1000, false)]
    public void Decode_Nesting_IsLimitedToMaxDepth(int depth, bool accepted)
    {
        byte[] message = Nested(depth);

        if (accepted)
        {
            Assert.Equal(message, TtlvCodec.Encode(TtlvCodec.Decode(message, TtlvLimits.Default)));
        }
        else
        {
            var e = Assert.Throws<TtlvFormatException>(() => TtlvCodec.Decode(message, TtlvLimits.Default));
            Assert.Contains("nesting deeper than 16 levels", e.Message);
        }
    }

    [Fact]
    public void Decode_100000LevelsWithRaisedLimits_DecodesWithoutRecursion()
    {
        byte[] message = Nested(100_000);
        var limits = new TtlvLimits(MaxMessageBytes: message.Length, MaxDepth: 100_000, MaxItems: 100_000);

        TtlvItem root = TtlvCodec.Decode(message, limits);

        Assert.Equal(message, TtlvCodec.Encode(root));
        Assert.StartsWith("Attribute{Attribute{", root.ToString());
    }

    [Theory]
    [InlineData(9_999, true)]
    [InlineData(10_000, false)]
    public void Decode_ItemCount_IsLimitedToMaxItems(int children, bool accepted)
    {
        // The structure itself is one item, so 9,999 children make exactly the default 10,000.
        TtlvItem wide = TtlvItem.Structure(KmipTag.TemplateAttribute,
            Enumerable.Range(0, children).Select(i => TtlvItem.Integer(KmipTag.CryptographicLength, i)));
        byte[] message = TtlvCodec.Encode(wide);

        if (accepted)
        {
            Assert.Equal(children, TtlvCodec.Decode(message, TtlvLimits.Default).Children.Count);
        }
        else
        {
            var e = Assert.Throws<TtlvFormatException>(() => TtlvCodec.Decode(message, TtlvLimits.Default));
            Assert.Contains("more than 10000 items", e.Message);
        }
    }

    [Theory]
    [InlineData("42 00 78 | 01 | 00 A0 00 00", "declares 10485760 bytes, more than the limit")]
    [InlineData("42 00 78 | 01 | FF FF FF F8", "declares 4294967288 bytes, more than the limit")]
    [InlineData("42 00 78 | 07 | 00 00 00 08", "a message must be a Structure")]
    [InlineData("16 03 01 | 02 | 00 01 FC 03", "outside 0x42xxxx")]
    [InlineData("42 00 78 | 01 | 00 00 00 0C", "not a multiple of 8")]
    [InlineData("42 00 78 | 01 | 00 00", "6 bytes, expected 8")]
    public void MessageLength_BadHeader_IsRefused(string hex, string reason)
    {
        var e = Assert.Throws<TtlvFormatException>(() => TtlvCodec.MessageLength(TtlvHex.Parse(hex), TtlvLimits.Default));

        Assert.Contains(reason, e.Message);
    }

    [Theory]
    [InlineData("42 00 78 | 01 | 00 00 00 00", 8)]
    [InlineData("42 00 7B | 01 | 00 00 01 60", 360)]
    [InlineData("42 00 78 | 01 | 00 0F FF F8", 1_048_576)]
    public void MessageLength_GoodHeader_IsHeaderPlusDeclaredLength(string hex, int total) =>
        Assert.Equal(total, TtlvCodec.MessageLength(TtlvHex.Parse(hex), TtlvLimits.Default));

    /// <summary>
    /// 2,000 mutations of a real request (bit flips, truncations, length fields set to other values, bytes
    /// inserted or removed) either decode or throw <see cref="TtlvFormatException"/>, and whatever decodes
    /// re-encodes to exactly the input: the decoder accepts only canonical encodings.
    /// </summary>
    [Fact]
    public void Decode_RandomMutationsOfARequest_OnlyEverThrowsTtlvFormatException()
    {
        byte[] original = TtlvCodec.Encode(TtlvRoundTripTests.CreateRequest());
        int[] lengthFields = LengthFieldOffsets(original);
        var random = new Random(16);
        int refused = 0;

        for (int i = 0; i < 2_000; i++)
        {
            (byte[] mutated, string mutation) = Mutate(original, lengthFields, random);
            TtlvItem decoded;
            try
            {
                decoded = TtlvCodec.Decode(mutated, TtlvLimits.Default);
            }
            catch (TtlvFormatException)
            {
                refused++;
                continue;
            }
            catch (Exception e)
            {
                Assert.Fail($"{mutation} threw {e.GetType().Name}: {e.Message}\ninput: {TtlvHex.Format(mutated)}");
                throw;
            }

            Assert.True(mutated.AsSpan().SequenceEqual(TtlvCodec.Encode(decoded)), $"{mutation} decoded but does not re-encode identically");
            Assert.NotEmpty(decoded.ToString());
        }

        Assert.InRange(refused, 1_000, 2_000);   // most mutations break the message; a few flip a value bit and stay valid
    }

    private static (byte[] Bytes, string Mutation) Mutate(byte[] original, int[] lengthFields, Random random)
    {
        byte[] bytes = (byte[])original.Clone();
        switch (random.Next(5))
        {
            case 0:
                int flips = random.Next(1, 4);
                for (int f = 0; f < flips; f++)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }

                return (bytes, $"{flips} bit flips");
            case 1:
                int keep = random.Next(bytes.Length);
                return (bytes[..keep], $"truncation to {keep} bytes");
            case 2:
                int field = lengthFields[random.Next(lengthFields.Length)];
                uint length = random.Next(3) switch
                {
                    0 => (uint)random.Next(0, 512),
                    1 => BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(field)) + (uint)random.Next(-16, 17),
                    _ => (uint)random.NextInt64(0, 1L << 32),
                };
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(field), length);
                return (bytes, $"length at {field} set to {length}");
            case 3:
                int at = random.Next(bytes.Length + 1);
                byte[] inserted = new byte[random.Next(1, 17)];
                random.NextBytes(inserted);
                return ([.. bytes[..at], .. inserted, .. bytes[at..]], $"{inserted.Length} bytes inserted at {at}");
            default:
                int from = random.Next(bytes.Length);
                int count = Math.Min(random.Next(1, 17), bytes.Length - from);
                return ([.. bytes[..from], .. bytes[(from + count)..]], $"{count} bytes removed at {from}");
        }
    }

    /// <summary>The offsets of every item's 4-byte length field in a well-formed message.</summary>
    private static int[] LengthFieldOffsets(byte[] message)
    {
        var offsets = new List<int>();
        int position = 0;
        while (position < message.Length)
        {
            offsets.Add(position + 4);
            uint length = BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(position + 4));
            position += message[position + 3] == (byte)TtlvType.Structure ? 8 : 8 + (int)((length + 7) / 8 * 8);
        }

        return [.. offsets];
    }

    /// <summary><paramref name="depth"/> Attribute structures, each the only child of the one before, the innermost empty.</summary>
    private static byte[] Nested(int depth)
    {
        byte[] message = new byte[8 * depth];
        for (int level = 0; level < depth; level++)
        {
            Span<byte> header = message.AsSpan(8 * level, 8);
            header[0] = 0x42;
            header[2] = 0x08;   // Attribute, 0x420008
            header[3] = (byte)TtlvType.Structure;
            BinaryPrimitives.WriteInt32BigEndian(header[4..], 8 * (depth - level - 1));
        }

        return message;
    }
}
