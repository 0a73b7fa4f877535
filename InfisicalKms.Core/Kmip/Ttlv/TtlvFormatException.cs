namespace InfisicalKms.Core.Kmip.Ttlv;

/// <summary>
/// A TTLV message that breaks the encoding rules, or a field that is missing or of the wrong type. It is the
/// only exception <see cref="TtlvCodec.Decode"/> throws for bad input, so a server can answer it with an
/// Invalid Message result instead of failing.
/// </summary>
/// <remarks>The message names tags, types, lengths and offsets, never an item's value.</remarks>
public class TtlvFormatException(string message) : Exception(message);
