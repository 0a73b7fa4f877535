namespace InfisicalKms.Core.Kmip.Ttlv;

/// <summary>A required field is absent: thrown by <see cref="TtlvItem.Require"/>.</summary>
public sealed class TtlvMissingException : TtlvFormatException
{
    public TtlvMissingException(KmipTag tag)
        : base($"Required field {TtlvItem.TagName(tag)} is missing")
    {
        Tag = tag;
    }

    /// <summary>Names the structure the field is missing from as well.</summary>
    public TtlvMissingException(KmipTag tag, KmipTag parent)
        : base($"Required field {TtlvItem.TagName(tag)} is missing from {TtlvItem.TagName(parent)}")
    {
        Tag = tag;
    }

    /// <summary>The tag of the missing field.</summary>
    public KmipTag Tag { get; }
}
