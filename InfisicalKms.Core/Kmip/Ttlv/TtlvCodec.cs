// TTLV encoding, KMIP 1.0-1.4 specification §9.1. Every item is
//   offset   size  field
//   0        3     tag, big-endian: 0x42xxxx (specification) or 0x54xxxx (extensions)
//   3        1     type (TtlvType)
//   4        4     length of the value without padding, big-endian; a Structure's is its children's encodings
//   8        n     value: Integer, Enumeration, Interval 4 bytes; Long Integer, Boolean, Date-Time 8 bytes;
//                  Big Integer two's complement sign-extended to a multiple of 8; Text String UTF-8;
//                  Byte String as is; Structure the concatenated children
//   8+n      p     zero padding to a multiple of 8 (none for a Structure or Big Integer)
// A message is one Structure (Request Message or Response Message) sent as is over TLS, one after another.
using System.Buffers;
using System.Buffers.Binary;

namespace InfisicalKms.Core.Kmip.Ttlv;

/// <summary>Turns <see cref="TtlvItem"/> trees into TTLV bytes and back, and reads whole messages from a stream.</summary>
/// <remarks>
/// Decoding fails closed: every input that breaks a rule of §9.1 or a <see cref="TtlvLimits"/> bound throws
/// <see cref="TtlvFormatException"/>, and nothing else, so the caller can answer with an error instead of
/// crashing. Lengths are checked against the bytes present before they are used, so a declared length
/// never causes an allocation larger than the limit.
/// </remarks>
public static class TtlvCodec
{
    public const int HeaderLength = 8;

    public static byte[] Encode(TtlvItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        byte[] buffer = new byte[item.EncodedLength];
        TtlvWriter.Write(item, buffer);
        return buffer;
    }

    public static void Encode(TtlvItem item, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(output);
        int length = item.EncodedLength;
        TtlvWriter.Write(item, output.GetSpan(length)[..length]);
        output.Advance(length);
    }

    /// <summary>
    /// Decodes exactly one item that spans the whole of <paramref name="message"/>. Throws
    /// <see cref="TtlvFormatException"/> on a truncated header or value, a length larger than what is left, a
    /// wrong length for the type, non-zero padding, invalid UTF-8, a Boolean other than 0 or 1, an unknown
    /// type, a tag outside 0x42xxxx/0x54xxxx, trailing bytes, or a message over <paramref name="limits"/>.
    /// </summary>
    public static TtlvItem Decode(ReadOnlySpan<byte> message, TtlvLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        return TtlvReader.Read(message, limits);
    }

    /// <summary>
    /// The total length (header included) of the message whose first 8 bytes are <paramref name="header8"/>.
    /// Refuses a header that is not a Structure's, or that declares more than the limit, before the body is read.
    /// </summary>
    public static int MessageLength(ReadOnlySpan<byte> header8, TtlvLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        if (header8.Length < HeaderLength)
        {
            throw new TtlvFormatException($"Malformed TTLV message header: {header8.Length} bytes, expected {HeaderLength}");
        }

        if (header8[0] is not (0x42 or 0x54))
        {
            throw new TtlvFormatException(
                $"Malformed TTLV message header: tag 0x{header8[0]:X2}{header8[1]:X2}{header8[2]:X2} is outside 0x42xxxx and 0x54xxxx");
        }

        if (header8[3] != (byte)TtlvType.Structure)
        {
            throw new TtlvFormatException($"Malformed TTLV message header: type 0x{header8[3]:X2}, a message must be a Structure");
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(header8[4..]);
        if (length > (uint)(limits.MaxMessageBytes - HeaderLength))
        {
            throw new TtlvFormatException(
                $"TTLV message declares {length} bytes, more than the limit of {limits.MaxMessageBytes - HeaderLength}");
        }

        if (length % 8 != 0)
        {
            throw new TtlvFormatException($"Malformed TTLV message header: Structure length {length} is not a multiple of 8");
        }

        return HeaderLength + (int)length;
    }

    /// <summary>
    /// Reads one whole message: the header, then exactly the body it declares (never allocating more than
    /// <see cref="MessageLength"/>). Returns null when the stream ends cleanly before the first byte.
    /// Throws <see cref="TtlvFormatException"/> on a bad header and <see cref="EndOfStreamException"/> when
    /// the stream ends mid-message. The body is not decoded; pass it to <see cref="Decode"/>.
    /// </summary>
    public static async ValueTask<byte[]?> ReadMessageAsync(Stream stream, TtlvLimits limits, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(limits);
        byte[] header = new byte[HeaderLength];
        int read = await stream.ReadAtLeastAsync(header, HeaderLength, throwOnEndOfStream: false, ct);
        if (read == 0)
        {
            return null;
        }

        if (read < HeaderLength)
        {
            throw new EndOfStreamException($"The stream ended after {read} of the {HeaderLength} bytes of a TTLV header");
        }

        byte[] message = new byte[MessageLength(header, limits)];
        header.CopyTo(message, 0);
        await stream.ReadExactlyAsync(message.AsMemory(HeaderLength), ct);
        return message;
    }
}
