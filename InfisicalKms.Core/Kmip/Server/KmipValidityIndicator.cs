namespace InfisicalKms.Core.Kmip.Server;

/// <summary>The Validity Indicator enumeration of a SignatureVerify response.</summary>
public enum KmipValidityIndicator : uint
{
    Valid = 0x01,
    Invalid = 0x02,
    Unknown = 0x03,
}
