using System.Collections.ObjectModel;
using System.Runtime.CompilerServices;
using System.Text;

namespace InfisicalKms.Core.Kmip.Ttlv;

/// <summary>
/// One TTLV item (KMIP 1.x §9.1): a tag, a type and either a value or, for a Structure, child items. Items are
/// immutable; build them with the factories and turn them into bytes with <see cref="TtlvCodec"/>.
/// </summary>
/// <remarks>
/// Byte Strings and Big Integers carry key material (Key Material, the transparent key fields) and Password
/// text carries credentials, so <see cref="ToString"/> prints only their sizes. <see cref="AsBytes"/> returns
/// a copy; callers that only read the bytes use <see cref="AsByteSpan"/> and leave no copy behind.
/// </remarks>
public sealed class TtlvItem
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Integer, Long Integer, Enumeration, Boolean (0/1), Date-Time (POSIX seconds) and Interval values.</summary>
    private readonly long _number;

    /// <summary>Byte String bytes, Text String UTF-8 or Big Integer two's complement (sign-extended, big-endian).</summary>
    private readonly byte[]? _bytes;

    private readonly string? _text;

    private TtlvItem(KmipTag tag, TtlvType type, int valueLength, long number, byte[]? bytes, string? text, IReadOnlyList<TtlvItem>? children)
    {
        if ((int)tag >> 16 is not (0x42 or 0x54))
        {
            throw new ArgumentOutOfRangeException(nameof(tag), $"Tag {TagName(tag)} is outside 0x42xxxx and the extension range 0x54xxxx");
        }

        Tag = tag;
        Type = type;
        ValueLength = valueLength;
        EncodedLength = TtlvCodec.HeaderLength + Padded(valueLength);
        Children = children ?? [];
        _number = number;
        _bytes = bytes;
        _text = text;
    }

    public KmipTag Tag { get; }

    public TtlvType Type { get; }

    /// <summary>The children of a Structure, in order; empty for every other type.</summary>
    public IReadOnlyList<TtlvItem> Children { get; }

    /// <summary>The Item Length field: the value's length without padding (a Structure's: its children's encodings).</summary>
    public int ValueLength { get; }

    /// <summary>The bytes <see cref="TtlvCodec.Encode(TtlvItem)"/> writes: header, value and padding.</summary>
    public int EncodedLength { get; }

    internal long Number => _number;

    internal ReadOnlySpan<byte> RawBytes => _bytes;

    public int AsInteger() => (int)Expect(TtlvType.Integer)._number;

    public long AsLongInteger() => Expect(TtlvType.LongInteger)._number;

    public System.Numerics.BigInteger AsBigInteger() =>
        new(Expect(TtlvType.BigInteger)._bytes, isUnsigned: false, isBigEndian: true);

    public uint AsEnumeration() => (uint)Expect(TtlvType.Enumeration)._number;

    /// <summary>The enumeration value as <typeparamref name="TEnum"/>; a value outside the enum's list is kept as a number.</summary>
    public TEnum AsEnumeration<TEnum>()
        where TEnum : struct, Enum
    {
        if (Unsafe.SizeOf<TEnum>() != sizeof(uint))
        {
            throw new ArgumentException($"{typeof(TEnum).Name} is not a 32-bit enum", nameof(TEnum));
        }

        uint value = AsEnumeration();
        return Unsafe.As<uint, TEnum>(ref value);
    }

    public bool AsBoolean() => Expect(TtlvType.Boolean)._number != 0;

    public string AsText() => Expect(TtlvType.TextString)._text!;

    /// <summary>A copy of the Byte String; see <see cref="AsByteSpan"/>.</summary>
    public byte[] AsBytes() => (byte[])Expect(TtlvType.ByteString)._bytes!.Clone();

    /// <summary>The Byte String without copying it.</summary>
    public ReadOnlySpan<byte> AsByteSpan() => Expect(TtlvType.ByteString)._bytes;

    /// <summary>The Date-Time in UTC, to the second.</summary>
    public DateTimeOffset AsDateTime() => DateTimeOffset.FromUnixTimeSeconds(Expect(TtlvType.DateTime)._number);

    /// <summary>The Interval in seconds.</summary>
    public uint AsInterval() => (uint)Expect(TtlvType.Interval)._number;

    /// <summary>The first direct child with <paramref name="tag"/>, or null.</summary>
    public TtlvItem? Find(KmipTag tag)
    {
        foreach (TtlvItem child in Children)
        {
            if (child.Tag == tag)
            {
                return child;
            }
        }

        return null;
    }

    /// <summary>Every direct child with <paramref name="tag"/>, in order.</summary>
    public IEnumerable<TtlvItem> FindAll(KmipTag tag) => Children.Where(child => child.Tag == tag);

    /// <summary>The first direct child with <paramref name="tag"/>; throws <see cref="TtlvMissingException"/> without one.</summary>
    public TtlvItem Require(KmipTag tag) => Find(tag) ?? throw new TtlvMissingException(tag, Tag);

    /// <summary>A Structure of the non-null <paramref name="children"/>, so optional fields can be passed as null.</summary>
    public static TtlvItem Structure(KmipTag tag, params TtlvItem?[] children) => Structure(tag, (IEnumerable<TtlvItem?>)children);

    /// <inheritdoc cref="Structure(KmipTag, TtlvItem?[])"/>
    public static TtlvItem Structure(KmipTag tag, IEnumerable<TtlvItem?> children)
    {
        ArgumentNullException.ThrowIfNull(children);
        List<TtlvItem> present = [.. children.OfType<TtlvItem>()];
        return OwningStructure(tag, present);
    }

    public static TtlvItem Integer(KmipTag tag, int value) => new(tag, TtlvType.Integer, 4, value, null, null, null);

    public static TtlvItem LongInteger(KmipTag tag, long value) => new(tag, TtlvType.LongInteger, 8, value, null, null, null);

    /// <summary>A Big Integer, sign-extended to a multiple of 8 bytes as §9.1.1.4 requires.</summary>
    public static TtlvItem BigInteger(KmipTag tag, System.Numerics.BigInteger value)
    {
        int count = value.GetByteCount(isUnsigned: false);
        byte[] bytes = new byte[Padded(count)];
        if (value.Sign < 0)
        {
            bytes.AsSpan(0, bytes.Length - count).Fill(0xFF);
        }

        value.TryWriteBytes(bytes.AsSpan(bytes.Length - count), out _, isUnsigned: false, isBigEndian: true);
        return new(tag, TtlvType.BigInteger, bytes.Length, 0, bytes, null, null);
    }

    public static TtlvItem Enumeration(KmipTag tag, uint value) => new(tag, TtlvType.Enumeration, 4, value, null, null, null);

    /// <summary>An Enumeration from any enum of 32 bits or fewer, such as <see cref="KmipOperation"/>.</summary>
    public static TtlvItem Enumeration<TEnum>(KmipTag tag, TEnum value)
        where TEnum : struct, Enum
    {
        uint raw = Unsafe.SizeOf<TEnum>() switch
        {
            1 => Unsafe.As<TEnum, byte>(ref value),
            2 => Unsafe.As<TEnum, ushort>(ref value),
            4 => Unsafe.As<TEnum, uint>(ref value),
            _ => throw new ArgumentException($"{typeof(TEnum).Name} is wider than 32 bits", nameof(value)),
        };
        return Enumeration(tag, raw);
    }

    public static TtlvItem Boolean(KmipTag tag, bool value) => new(tag, TtlvType.Boolean, 8, value ? 1 : 0, null, null, null);

    /// <summary>A Text String; throws <see cref="ArgumentException"/> for text that has no UTF-8 form (a lone surrogate).</summary>
    public static TtlvItem Text(KmipTag tag, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        byte[] utf8;
        try
        {
            utf8 = StrictUtf8.GetBytes(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("The text is not valid UTF-16 (it has a lone surrogate)", nameof(value), e);
        }

        return new(tag, TtlvType.TextString, utf8.Length, 0, utf8, value, null);
    }

    public static TtlvItem Bytes(KmipTag tag, ReadOnlySpan<byte> value) =>
        new(tag, TtlvType.ByteString, value.Length, 0, value.ToArray(), null, null);

    /// <summary>A Date-Time: POSIX seconds in UTC; any fraction of a second is dropped.</summary>
    public static TtlvItem DateTime(KmipTag tag, DateTimeOffset value) =>
        new(tag, TtlvType.DateTime, 8, value.ToUnixTimeSeconds(), null, null, null);

    public static TtlvItem Interval(KmipTag tag, uint seconds) => new(tag, TtlvType.Interval, 4, seconds, null, null, null);

    /// <summary>A compact one-line form for logs and test output, e.g. <c>Name{NameValue="k1", NameType=UninterpretedTextString}</c>.</summary>
    public override string ToString() => TtlvItemFormatter.Format(this);

    /// <summary>The tag's name, or its hex value for a tag KMIP 1.x does not define (an extension).</summary>
    public static string TagName(KmipTag tag) => Enum.IsDefined(tag) ? tag.ToString() : $"0x{(int)tag:X6}";

    internal static int Padded(int length) => (length + 7) & ~7;

    /// <summary>A leaf whose value the decoder has already checked.</summary>
    internal static TtlvItem Decoded(KmipTag tag, TtlvType type, int valueLength, long number, byte[]? bytes, string? text) =>
        new(tag, type, valueLength, number, bytes, text, null);

    /// <summary>A Structure that takes ownership of <paramref name="children"/>.</summary>
    internal static TtlvItem OwningStructure(KmipTag tag, List<TtlvItem> children)
    {
        long length = 0;
        foreach (TtlvItem child in children)
        {
            length += child.EncodedLength;
        }

        if (length > int.MaxValue - 2 * TtlvCodec.HeaderLength)
        {
            throw new ArgumentException($"Structure {TagName(tag)} would be {length} bytes long, more than a message can hold", nameof(children));
        }

        return new(tag, TtlvType.Structure, (int)length, 0, null, null, new ReadOnlyCollection<TtlvItem>(children));
    }

    private TtlvItem Expect(TtlvType expected) =>
        Type == expected ? this : throw new TtlvFormatException($"{TagName(Tag)} is {Type}, expected {expected}");
}
