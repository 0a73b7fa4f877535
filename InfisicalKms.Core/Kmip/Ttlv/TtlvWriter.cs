using System.Buffers.Binary;

namespace InfisicalKms.Core.Kmip.Ttlv;

/// <summary>Writes an item tree into a span of exactly its <see cref="TtlvItem.EncodedLength"/>.</summary>
/// <remarks>
/// Lengths are known from construction, so one pre-order walk with an explicit stack writes every header
/// and value in place: no recursion, so no stack overflow however deep a caller builds a tree.
/// </remarks>
internal static class TtlvWriter
{
    public static void Write(TtlvItem root, Span<byte> destination)
    {
        var pending = new Stack<TtlvItem>();
        pending.Push(root);
        int position = 0;
        while (pending.TryPop(out TtlvItem? item))
        {
            Span<byte> header = destination.Slice(position, TtlvCodec.HeaderLength);
            int tag = (int)item.Tag;   // 0x42xxxx or 0x54xxxx, checked when the item was made
            header[0] = (byte)(tag >> 16);
            header[1] = (byte)((tag >> 8) & 0xFF);
            header[2] = (byte)(tag & 0xFF);
            header[3] = (byte)item.Type;
            BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)item.ValueLength);
            position += TtlvCodec.HeaderLength;

            if (item.Type == TtlvType.Structure)
            {
                for (int i = item.Children.Count - 1; i >= 0; i--)
                {
                    pending.Push(item.Children[i]);
                }

                continue;
            }

            Span<byte> value = destination.Slice(position, item.EncodedLength - TtlvCodec.HeaderLength);
            value.Clear();   // the padding; an IBufferWriter's span may hold old bytes
            WriteValue(item, value);
            position += value.Length;
        }
    }

    private static void WriteValue(TtlvItem item, Span<byte> value)
    {
        switch (item.Type)
        {
            case TtlvType.Integer:
                BinaryPrimitives.WriteInt32BigEndian(value, (int)item.Number);
                break;
            case TtlvType.Enumeration or TtlvType.Interval:
                BinaryPrimitives.WriteUInt32BigEndian(value, (uint)item.Number);
                break;
            case TtlvType.LongInteger or TtlvType.Boolean or TtlvType.DateTime:
                BinaryPrimitives.WriteInt64BigEndian(value, item.Number);
                break;
            case TtlvType.BigInteger or TtlvType.TextString or TtlvType.ByteString:
                item.RawBytes.CopyTo(value);
                break;
            default:
                throw new InvalidOperationException($"No encoding for {item.Type}");
        }
    }
}
