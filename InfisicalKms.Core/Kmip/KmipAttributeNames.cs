namespace InfisicalKms.Core.Kmip;

/// <summary>
/// The standard attribute names of KMIP 1.0-1.4 (specification §3), as they travel in the Attribute Name
/// field of GetAttributes, Locate, AddAttribute and Template-Attribute structures. Spellings follow the
/// specification and PyKMIP's <c>AttributeType</c>; they are case-sensitive on the wire.
/// </summary>
public static class KmipAttributeNames
{
    // KMIP 1.0
    public const string UniqueIdentifier = "Unique Identifier";
    public const string Name = "Name";
    public const string ObjectType = "Object Type";
    public const string CryptographicAlgorithm = "Cryptographic Algorithm";
    public const string CryptographicLength = "Cryptographic Length";
    public const string CryptographicParameters = "Cryptographic Parameters";
    public const string CryptographicDomainParameters = "Cryptographic Domain Parameters";
    public const string CertificateType = "Certificate Type";
    public const string CertificateIdentifier = "Certificate Identifier";
    public const string CertificateSubject = "Certificate Subject";
    public const string CertificateIssuer = "Certificate Issuer";
    public const string Digest = "Digest";
    public const string OperationPolicyName = "Operation Policy Name";
    public const string CryptographicUsageMask = "Cryptographic Usage Mask";
    public const string LeaseTime = "Lease Time";
    public const string UsageLimits = "Usage Limits";
    public const string State = "State";
    public const string InitialDate = "Initial Date";
    public const string ActivationDate = "Activation Date";
    public const string ProcessStartDate = "Process Start Date";
    public const string ProtectStopDate = "Protect Stop Date";
    public const string DeactivationDate = "Deactivation Date";
    public const string DestroyDate = "Destroy Date";
    public const string CompromiseOccurrenceDate = "Compromise Occurrence Date";
    public const string CompromiseDate = "Compromise Date";
    public const string RevocationReason = "Revocation Reason";
    public const string ArchiveDate = "Archive Date";
    public const string ObjectGroup = "Object Group";
    public const string Link = "Link";
    public const string ApplicationSpecificInformation = "Application Specific Information";
    public const string ContactInformation = "Contact Information";
    public const string LastChangeDate = "Last Change Date";
    public const string CustomAttribute = "Custom Attribute";

    // KMIP 1.1
    public const string CertificateLength = "Certificate Length";
    public const string X509CertificateIdentifier = "X.509 Certificate Identifier";
    public const string X509CertificateSubject = "X.509 Certificate Subject";
    public const string X509CertificateIssuer = "X.509 Certificate Issuer";
    public const string DigitalSignatureAlgorithm = "Digital Signature Algorithm";
    public const string Fresh = "Fresh";

    // KMIP 1.2
    public const string AlternativeName = "Alternative Name";
    public const string KeyValuePresent = "Key Value Present";
    public const string KeyValueLocation = "Key Value Location";
    public const string OriginalCreationDate = "Original Creation Date";

    // KMIP 1.3
    public const string RandomNumberGenerator = "Random Number Generator";

    // KMIP 1.4
    public const string Pkcs12FriendlyName = "PKCS#12 Friendly Name";
    public const string Description = "Description";
    public const string Comment = "Comment";
    public const string Sensitive = "Sensitive";
    public const string AlwaysSensitive = "Always Sensitive";
    public const string Extractable = "Extractable";
    public const string NeverExtractable = "Never Extractable";

    /// <summary>Custom attributes named by a client start with this prefix ("x-Department").</summary>
    public const string ClientCustomPrefix = "x-";

    /// <summary>Custom attributes named by a server start with this prefix.</summary>
    public const string ServerCustomPrefix = "y-";

    /// <summary>Every standard name above except <see cref="CustomAttribute"/>, in specification order.</summary>
    public static IReadOnlyList<string> Standard { get; } =
    [
        UniqueIdentifier, Name, ObjectType, CryptographicAlgorithm, CryptographicLength, CryptographicParameters,
        CryptographicDomainParameters, CertificateType, CertificateLength, X509CertificateIdentifier,
        X509CertificateSubject, X509CertificateIssuer, CertificateIdentifier, CertificateSubject, CertificateIssuer,
        DigitalSignatureAlgorithm, Digest, OperationPolicyName, CryptographicUsageMask, LeaseTime, UsageLimits,
        State, InitialDate, ActivationDate, ProcessStartDate, ProtectStopDate, DeactivationDate, DestroyDate,
        CompromiseOccurrenceDate, CompromiseDate, RevocationReason, ArchiveDate, ObjectGroup, Fresh, Link,
        ApplicationSpecificInformation, ContactInformation, LastChangeDate, AlternativeName, KeyValuePresent,
        KeyValueLocation, OriginalCreationDate, RandomNumberGenerator, Pkcs12FriendlyName, Description, Comment,
        Sensitive, AlwaysSensitive, Extractable, NeverExtractable,
    ];

    /// <summary>True for a custom attribute name: one that starts with "x-" or "y-".</summary>
    public static bool IsCustom(string name) =>
        name.StartsWith(ClientCustomPrefix, StringComparison.Ordinal)
        || name.StartsWith(ServerCustomPrefix, StringComparison.Ordinal);
}
