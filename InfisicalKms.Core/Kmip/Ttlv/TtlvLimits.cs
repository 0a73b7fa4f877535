namespace InfisicalKms.Core.Kmip.Ttlv;

/// <summary>
/// Bounds on what <see cref="TtlvCodec"/> accepts from a peer; a message over any of them is refused whole.
/// The defaults leave room to spare: the deepest KMIP 1.x request, a Register of a wrapped key
/// (Request Message > Batch Item > Request Payload > Private Key > Key Block > Key Wrapping Data >
/// Encryption Key Information > Cryptographic Parameters > Block Cipher Mode), is 9 levels deep.
/// </summary>
/// <param name="MaxMessageBytes">Largest whole message, header included (1 MiB).</param>
/// <param name="MaxDepth">Deepest nesting; the outermost item is depth 1.</param>
/// <param name="MaxItems">Most items in one message, structures included.</param>
public sealed record TtlvLimits(int MaxMessageBytes = 1_048_576, int MaxDepth = 16, int MaxItems = 10_000)
{
    /// <summary>1 MiB, 16 levels, 10,000 items.</summary>
    public static readonly TtlvLimits Default = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageBytes, TtlvCodec.HeaderLength, nameof(MaxMessageBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDepth, 1, nameof(MaxDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxItems, 1, nameof(MaxItems));
    }
}
