using System.Buffers.Binary;
using System.Text;

namespace InfisicalKms.Core.Kmip.Ttlv;

/// <summary>Decodes one TTLV item from a span; every rule it breaks becomes a <see cref="TtlvFormatException"/>.</summary>
/// <remarks>
/// The walk is iterative (an explicit stack of open structures) and bounded by <see cref="TtlvLimits"/>. Each
/// length is compared with the bytes actually left in the enclosing structure before anything is sliced or
/// allocated, so a lying length cannot make it read past the input or allocate more than the input's size.
/// </remarks>
internal static class TtlvReader
{
    /// <summary>The Date-Time range <see cref="DateTimeOffset"/> can hold (years 1 to 9999).</summary>
    private static readonly long MinSeconds = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    private static readonly long MaxSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly record struct OpenStructure(KmipTag Tag, int End, List<TtlvItem> Children);

    public static TtlvItem Read(ReadOnlySpan<byte> message, TtlvLimits limits)
    {
        if (message.Length > limits.MaxMessageBytes)
        {
            throw new TtlvFormatException($"Message of {message.Length} bytes exceeds the limit of {limits.MaxMessageBytes} bytes");
        }

        var open = new Stack<OpenStructure>();
        int position = 0;
        int items = 0;
        while (true)
        {
            int end = open.Count == 0 ? message.Length : open.Peek().End;
            int left = end - position;
            if (left < TtlvCodec.HeaderLength)
            {
                throw Fail(position, left == 0 && position == 0
                    ? "the message is empty"
                    : $"an item header needs {TtlvCodec.HeaderLength} bytes but only {left} are left");
            }

            if (++items > limits.MaxItems)
            {
                throw Fail(position, $"more than {limits.MaxItems} items");
            }

            if (open.Count + 1 > limits.MaxDepth)
            {
                throw Fail(position, $"nesting deeper than {limits.MaxDepth} levels");
            }

            ReadOnlySpan<byte> header = message.Slice(position, TtlvCodec.HeaderLength);
            if (header[0] is not (0x42 or 0x54))
            {
                throw Fail(position, $"tag 0x{header[0]:X2}{header[1]:X2}{header[2]:X2} is outside 0x42xxxx and the extension range 0x54xxxx");
            }

            var tag = (KmipTag)(header[0] << 16 | header[1] << 8 | header[2]);
            byte type = header[3];
            uint length = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
            int available = left - TtlvCodec.HeaderLength;
            TtlvItem? done;
            if (type == (byte)TtlvType.Structure)
            {
                if (length % 8 != 0)
                {
                    throw Fail(position, tag, $"Structure length {length} is not a multiple of 8");
                }

                if (length > (uint)available)
                {
                    throw Fail(position, tag, $"Structure length {length} exceeds the {available} bytes left");
                }

                position += TtlvCodec.HeaderLength;
                open.Push(new OpenStructure(tag, position + (int)length, []));
                done = null;
            }
            else
            {
                done = ReadLeaf(tag, type, length, message.Slice(position + TtlvCodec.HeaderLength, available), position);
                position += done.EncodedLength;
            }

            // Close every structure that ends here; the outermost one closing (or a lone leaf) is the result.
            while (true)
            {
                if (done is not null)
                {
                    if (open.Count == 0)
                    {
                        return position == message.Length
                            ? done
                            : throw Fail(position, $"{message.Length - position} trailing bytes after the item");
                    }

                    open.Peek().Children.Add(done);
                }

                if (open.Count == 0 || open.Peek().End != position)
                {
                    break;
                }

                OpenStructure closed = open.Pop();
                done = TtlvItem.OwningStructure(closed.Tag, closed.Children);
            }
        }
    }

    private static TtlvItem ReadLeaf(KmipTag tag, byte type, uint length, ReadOnlySpan<byte> rest, int offset)
    {
        int? fixedLength = type switch
        {
            (byte)TtlvType.Integer or (byte)TtlvType.Enumeration or (byte)TtlvType.Interval => 4,
            (byte)TtlvType.LongInteger or (byte)TtlvType.Boolean or (byte)TtlvType.DateTime => 8,
            (byte)TtlvType.BigInteger or (byte)TtlvType.TextString or (byte)TtlvType.ByteString => null,
            _ => throw Fail(offset, tag, $"unknown item type 0x{type:X2}"),
        };
        var ttlvType = (TtlvType)type;
        if (fixedLength is int expected && length != expected)
        {
            throw Fail(offset, tag, $"{ttlvType} length {length}, expected {expected}");
        }

        if (ttlvType == TtlvType.BigInteger && (length == 0 || length % 8 != 0))
        {
            throw Fail(offset, tag, $"BigInteger length {length} is not a positive multiple of 8");
        }

        long padded = ((long)length + 7) & ~7L;
        if (padded > rest.Length)
        {
            throw Fail(offset, tag, $"{ttlvType} length {length} (padded to {padded}) exceeds the {rest.Length} bytes left");
        }

        ReadOnlySpan<byte> value = rest[..(int)length];
        if (rest[(int)length..(int)padded].ContainsAnyExcept((byte)0))
        {
            throw Fail(offset, tag, $"{ttlvType} has non-zero padding");
        }

        int valueLength = (int)length;
        return ttlvType switch
        {
            TtlvType.Integer => TtlvItem.Decoded(tag, ttlvType, 4, BinaryPrimitives.ReadInt32BigEndian(value), null, null),
            TtlvType.Enumeration or TtlvType.Interval =>
                TtlvItem.Decoded(tag, ttlvType, 4, BinaryPrimitives.ReadUInt32BigEndian(value), null, null),
            TtlvType.LongInteger => TtlvItem.Decoded(tag, ttlvType, 8, BinaryPrimitives.ReadInt64BigEndian(value), null, null),
            TtlvType.Boolean => TtlvItem.Decoded(tag, ttlvType, 8, ReadBoolean(value, offset, tag), null, null),
            TtlvType.DateTime => TtlvItem.Decoded(tag, ttlvType, 8, ReadDateTime(value, offset, tag), null, null),
            TtlvType.TextString => TtlvItem.Decoded(tag, ttlvType, valueLength, 0, value.ToArray(), ReadText(value, offset, tag)),
            _ => TtlvItem.Decoded(tag, ttlvType, valueLength, 0, value.ToArray(), null),
        };
    }

    private static long ReadBoolean(ReadOnlySpan<byte> value, int offset, KmipTag tag)
    {
        ulong raw = BinaryPrimitives.ReadUInt64BigEndian(value);
        return raw <= 1 ? (long)raw : throw Fail(offset, tag, "Boolean value is neither 0 nor 1");
    }

    private static long ReadDateTime(ReadOnlySpan<byte> value, int offset, KmipTag tag)
    {
        long seconds = BinaryPrimitives.ReadInt64BigEndian(value);
        return seconds >= MinSeconds && seconds <= MaxSeconds
            ? seconds
            : throw Fail(offset, tag, $"DateTime {seconds} is outside the years 1 to 9999");
    }

    private static string ReadText(ReadOnlySpan<byte> value, int offset, KmipTag tag)
    {
        try
        {
            return StrictUtf8.GetString(value);
        }
        catch (DecoderFallbackException)
        {
            throw Fail(offset, tag, "TextString is not valid UTF-8");
        }
    }

    private static TtlvFormatException Fail(int offset, string problem) =>
        new($"Malformed TTLV at offset {offset}: {problem}");

    private static TtlvFormatException Fail(int offset, KmipTag tag, string problem) =>
        new($"Malformed TTLV at offset {offset} ({TtlvItem.TagName(tag)}): {problem}");
}
