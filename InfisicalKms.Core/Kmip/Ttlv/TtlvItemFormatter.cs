using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace InfisicalKms.Core.Kmip.Ttlv;

/// <summary>The one-line debug form of <see cref="TtlvItem.ToString"/>.</summary>
/// <remarks>
/// Byte Strings and Big Integers show only their length, and Password text only that it is there: these carry
/// key material and credentials, and this form ends up in logs. Other text is cut at
/// <see cref="MaxTextChars"/> and its control characters escaped, so a peer cannot forge log lines.
/// </remarks>
internal static class TtlvItemFormatter
{
    internal const int MaxTextChars = 256;

    /// <summary>Nesting printed before the rest of a branch is shown as "…"; decoded messages never get there.</summary>
    private const int MaxDepth = 64;

    public static string Format(TtlvItem item)
    {
        var text = new StringBuilder();
        Append(text, item, depth: 1);
        return text.ToString();
    }

    private static void Append(StringBuilder text, TtlvItem item, int depth)
    {
        text.Append(TtlvItem.TagName(item.Tag));
        if (item.Type == TtlvType.Structure)
        {
            text.Append('{');
            if (depth >= MaxDepth && item.Children.Count > 0)
            {
                text.Append('…');
            }
            else
            {
                for (int i = 0; i < item.Children.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(", ");
                    }

                    Append(text, item.Children[i], depth + 1);
                }
            }

            text.Append('}');
            return;
        }

        text.Append('=');
        CultureInfo invariant = CultureInfo.InvariantCulture;
        switch (item.Type)
        {
            case TtlvType.Integer or TtlvType.LongInteger:
                text.Append(item.Number.ToString(invariant));
                break;
            case TtlvType.Enumeration:
                uint value = item.AsEnumeration();
                text.Append(EnumerationName(item.Tag, value) ?? "0x" + value.ToString("X8", invariant));
                break;
            case TtlvType.Boolean:
                text.Append(item.AsBoolean() ? "true" : "false");
                break;
            case TtlvType.DateTime:
                text.Append(item.AsDateTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", invariant));
                break;
            case TtlvType.Interval:
                text.Append(item.AsInterval().ToString(invariant)).Append('s');
                break;
            case TtlvType.BigInteger:
                text.Append("BigInteger(").Append(item.ValueLength.ToString(invariant)).Append(" bytes)");
                break;
            case TtlvType.ByteString:
                text.Append("ByteString(").Append(item.ValueLength.ToString(invariant)).Append(" bytes)");
                break;
            case TtlvType.TextString when item.Tag == KmipTag.Password:
                text.Append("TextString(redacted)");
                break;
            case TtlvType.TextString:
                AppendQuoted(text, item.AsText());
                break;
            default:
                text.Append("?");
                break;
        }
    }

    private static void AppendQuoted(StringBuilder text, string value)
    {
        text.Append('"');
        int shown = Math.Min(value.Length, MaxTextChars);
        for (int i = 0; i < shown; i++)
        {
            char c = value[i];
            if (c is '"' or '\\')
            {
                text.Append('\\').Append(c);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
            {
                text.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(c);
            }
        }

        text.Append(shown < value.Length ? "…\"" : "\"");
    }

    /// <summary>The name of an enumeration value, for the tags whose enumeration KMIP defines and we list.</summary>
    private static string? EnumerationName(KmipTag tag, uint value) => tag switch
    {
        KmipTag.Operation => Name<KmipOperation>(value),
        KmipTag.ObjectType => Name<KmipObjectType>(value),
        KmipTag.ResultStatus => Name<KmipResultStatus>(value),
        KmipTag.ResultReason => Name<KmipResultReason>(value),
        KmipTag.CryptographicAlgorithm => Name<KmipCryptographicAlgorithm>(value),
        KmipTag.BlockCipherMode => Name<KmipBlockCipherMode>(value),
        KmipTag.PaddingMethod => Name<KmipPaddingMethod>(value),
        KmipTag.HashingAlgorithm or KmipTag.MaskGeneratorHashingAlgorithm => Name<KmipHashingAlgorithm>(value),
        KmipTag.DigitalSignatureAlgorithm => Name<KmipDigitalSignatureAlgorithm>(value),
        KmipTag.KeyFormatType => Name<KmipKeyFormatType>(value),
        KmipTag.State => Name<KmipState>(value),
        KmipTag.NameType => Name<KmipNameType>(value),
        KmipTag.RevocationReasonCode => Name<KmipRevocationReasonCode>(value),
        KmipTag.QueryFunction => Name<KmipQueryFunction>(value),
        KmipTag.RecommendedCurve => Name<KmipRecommendedCurve>(value),
        KmipTag.LinkType => Name<KmipLinkType>(value),
        KmipTag.CertificateType => Name<KmipCertificateType>(value),
        KmipTag.SecretDataType => Name<KmipSecretDataType>(value),
        KmipTag.BatchErrorContinuationOption => Name<KmipBatchErrorContinuationOption>(value),
        _ => null,
    };

    private static string? Name<TEnum>(uint value)
        where TEnum : struct, Enum => Enum.GetName(Unsafe.As<uint, TEnum>(ref value));
}
