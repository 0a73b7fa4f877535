using InfisicalKms.Core.Errors;

namespace InfisicalKms.Core.Kmip.Ttlv;

/// <summary>
/// A TTLV message that breaks the encoding rules, or a field that is missing or of the wrong type. It is the
/// only exception <see cref="TtlvCodec.Decode"/> throws for bad input, so a server can answer it with an
/// Invalid Message result instead of failing.
/// </summary>
/// <remarks>
/// The message names tags, types, lengths and offsets, never an item's value. It is a bad request: when a field
/// is read inside an audited operation (a signature's Cryptographic Parameters, read once the key is known), the
/// failure record says 400 BadRequest, as the REST API would, not 500.
/// </remarks>
public class TtlvFormatException(string message) : KmsBadRequestException(message);
