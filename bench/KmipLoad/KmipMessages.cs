using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Kmip.Ttlv;

namespace KmipLoad;

/// <summary>
/// The two requests the load sends, built as a KMIP 1.4 client builds them, and the checks on their responses.
/// </summary>
/// <remarks>
/// Both use KMIP 1.4's AES-GCM form: Cryptographic Parameters name AES and GCM; Encrypt sends only Data (the
/// server chooses the IV) and gets back Data, IV/Counter/Nonce and Authenticated Encryption Tag; Decrypt sends
/// those three back. A request is encoded once and sent as the same bytes every time, as wrk sends one body.
/// </remarks>
internal static class KmipMessages
{
    private const int IvLength = 12;

    private const int TagLength = 16;

    public static byte[] Encrypt(string uid, ReadOnlySpan<byte> plaintext) =>
        Request(KmipOperation.Encrypt,
            TtlvItem.Text(KmipTag.UniqueIdentifier, uid),
            GcmParameters(),
            TtlvItem.Bytes(KmipTag.Data, plaintext));

    public static byte[] Decrypt(string uid, SealedData sealedData) =>
        Request(KmipOperation.Decrypt,
            TtlvItem.Text(KmipTag.UniqueIdentifier, uid),
            GcmParameters(),
            TtlvItem.Bytes(KmipTag.Data, sealedData.Ciphertext),
            TtlvItem.Bytes(KmipTag.IvCounterNonce, sealedData.Iv),
            TtlvItem.Bytes(KmipTag.AuthenticatedEncryptionTag, sealedData.Tag));

    /// <summary>The ciphertext, IV and tag of a successful Encrypt of <paramref name="plaintextLength"/> bytes.</summary>
    public static SealedData CheckEncrypt(TtlvItem response, int plaintextLength)
    {
        TtlvItem payload = SuccessfulPayload(response, KmipOperation.Encrypt);
        byte[] data = payload.Require(KmipTag.Data).AsBytes();
        byte[]? iv = payload.Find(KmipTag.IvCounterNonce)?.AsBytes();
        byte[]? tag = payload.Find(KmipTag.AuthenticatedEncryptionTag)?.AsBytes();
        if (data.Length != plaintextLength || iv?.Length != IvLength || tag?.Length != TagLength)
        {
            throw new KmipLoadFailure(
                $"Encrypt succeeded but answered Data of {data.Length} bytes (expected {plaintextLength}), IV of {iv?.Length ?? 0} (expected {IvLength}) and tag of {tag?.Length ?? 0} (expected {TagLength})");
        }

        return new SealedData(data, iv, tag);
    }

    public static void CheckDecrypt(TtlvItem response, ReadOnlySpan<byte> plaintext)
    {
        TtlvItem payload = SuccessfulPayload(response, KmipOperation.Decrypt);
        if (!payload.Require(KmipTag.Data).AsByteSpan().SequenceEqual(plaintext))
        {
            throw new KmipLoadFailure("Decrypt succeeded but its Data is not the plaintext that was encrypted");
        }
    }

    private static TtlvItem GcmParameters() =>
        TtlvItem.Structure(KmipTag.CryptographicParameters,
            TtlvItem.Enumeration(KmipTag.BlockCipherMode, KmipBlockCipherMode.Gcm),
            TtlvItem.Enumeration(KmipTag.CryptographicAlgorithm, KmipCryptographicAlgorithm.Aes));

    private static byte[] Request(KmipOperation operation, params TtlvItem[] payload) =>
        TtlvCodec.Encode(TtlvItem.Structure(KmipTag.RequestMessage,
            TtlvItem.Structure(KmipTag.RequestHeader,
                TtlvItem.Structure(KmipTag.ProtocolVersion,
                    TtlvItem.Integer(KmipTag.ProtocolVersionMajor, 1),
                    TtlvItem.Integer(KmipTag.ProtocolVersionMinor, 4)),
                TtlvItem.Integer(KmipTag.BatchCount, 1)),
            TtlvItem.Structure(KmipTag.BatchItem,
                TtlvItem.Enumeration(KmipTag.Operation, operation),
                TtlvItem.Structure(KmipTag.RequestPayload, payload))));

    /// <summary>
    /// The response payload of the one batch item; a failure names the result reason and message the server sent.
    /// A response without the fields KMIP requires throws <see cref="TtlvFormatException"/>.
    /// </summary>
    private static TtlvItem SuccessfulPayload(TtlvItem response, KmipOperation operation)
    {
        if (response.Tag != KmipTag.ResponseMessage)
        {
            throw new KmipLoadFailure($"Expected a Response Message, got {response.Tag}");
        }

        TtlvItem item = response.Require(KmipTag.BatchItem);
        var status = item.Require(KmipTag.ResultStatus).AsEnumeration<KmipResultStatus>();
        if (status != KmipResultStatus.Success)
        {
            string reason = item.Find(KmipTag.ResultReason)?.AsEnumeration<KmipResultReason>().ToString() ?? "no reason";
            string message = item.Find(KmipTag.ResultMessage)?.AsText() ?? "no message";
            throw new KmipLoadFailure($"{operation} answered {status}, reason {reason}: {message}");
        }

        return item.Require(KmipTag.ResponsePayload);
    }
}

/// <summary>An AES-GCM ciphertext in KMIP 1.4's split form.</summary>
internal sealed record SealedData(byte[] Ciphertext, byte[] Iv, byte[] Tag);

/// <summary>A response that was not the successful answer expected; the message says what the server sent.</summary>
internal sealed class KmipLoadFailure(string message) : Exception(message);
