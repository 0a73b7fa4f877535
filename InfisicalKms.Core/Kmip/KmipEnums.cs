// KMIP enumerations (KMIP 1.0-1.4 specification §9.1.3.2) and the Cryptographic Usage Mask bits (§9.1.3.3).
// Names are PyKMIP's (kmip/core/enums.py) in PascalCase, with an underscore kept only between two digits
// (SHA_512_224 -> Sha512_224); values are the spec's. KMIP 2.0-only values are left out on purpose.
// Values from 0x80000000 to 0x8FFFFFFF are extensions: a decoded value outside a list is kept as a number.
namespace InfisicalKms.Core.Kmip;

/// <summary>Operation enumeration.</summary>
public enum KmipOperation : uint
{
    // KMIP 1.0
    Create = 0x00000001,
    CreateKeyPair = 0x00000002,
    Register = 0x00000003,
    Rekey = 0x00000004,
    DeriveKey = 0x00000005,
    Certify = 0x00000006,
    Recertify = 0x00000007,
    Locate = 0x00000008,
    Check = 0x00000009,
    Get = 0x0000000A,
    GetAttributes = 0x0000000B,
    GetAttributeList = 0x0000000C,
    AddAttribute = 0x0000000D,
    ModifyAttribute = 0x0000000E,
    DeleteAttribute = 0x0000000F,
    ObtainLease = 0x00000010,
    GetUsageAllocation = 0x00000011,
    Activate = 0x00000012,
    Revoke = 0x00000013,
    Destroy = 0x00000014,
    Archive = 0x00000015,
    Recover = 0x00000016,
    Validate = 0x00000017,
    Query = 0x00000018,
    Cancel = 0x00000019,
    Poll = 0x0000001A,
    Notify = 0x0000001B,
    Put = 0x0000001C,

    // KMIP 1.1
    RekeyKeyPair = 0x0000001D,
    DiscoverVersions = 0x0000001E,

    // KMIP 1.2
    Encrypt = 0x0000001F,
    Decrypt = 0x00000020,
    Sign = 0x00000021,
    SignatureVerify = 0x00000022,
    Mac = 0x00000023,
    MacVerify = 0x00000024,
    RngRetrieve = 0x00000025,
    RngSeed = 0x00000026,
    Hash = 0x00000027,
    CreateSplitKey = 0x00000028,
    JoinSplitKey = 0x00000029,

    // KMIP 1.4
    Import = 0x0000002A,
    Export = 0x0000002B,
}

/// <summary>Object Type enumeration.</summary>
public enum KmipObjectType : uint
{
    // KMIP 1.0
    Certificate = 0x00000001,
    SymmetricKey = 0x00000002,
    PublicKey = 0x00000003,
    PrivateKey = 0x00000004,
    SplitKey = 0x00000005,
    Template = 0x00000006,
    SecretData = 0x00000007,
    OpaqueData = 0x00000008,

    // KMIP 1.2
    PgpKey = 0x00000009,
}

/// <summary>Result Status enumeration.</summary>
public enum KmipResultStatus : uint
{
    // KMIP 1.0
    Success = 0x00000000,
    OperationFailed = 0x00000001,
    OperationPending = 0x00000002,
    OperationUndone = 0x00000003,
}

/// <summary>Result Reason enumeration.</summary>
public enum KmipResultReason : uint
{
    // KMIP 1.0
    ItemNotFound = 0x00000001,
    ResponseTooLarge = 0x00000002,
    AuthenticationNotSuccessful = 0x00000003,
    InvalidMessage = 0x00000004,
    OperationNotSupported = 0x00000005,
    MissingData = 0x00000006,
    InvalidField = 0x00000007,
    FeatureNotSupported = 0x00000008,
    OperationCanceledByRequester = 0x00000009,
    CryptographicFailure = 0x0000000A,
    IllegalOperation = 0x0000000B,
    PermissionDenied = 0x0000000C,
    ObjectArchived = 0x0000000D,
    IndexOutOfBounds = 0x0000000E,
    ApplicationNamespaceNotSupported = 0x0000000F,
    KeyFormatTypeNotSupported = 0x00000010,
    KeyCompressionTypeNotSupported = 0x00000011,
    EncodingOptionError = 0x00000012,
    KeyValueNotPresent = 0x00000013,
    AttestationRequired = 0x00000014,
    AttestationFailed = 0x00000015,
    Sensitive = 0x00000016,
    NotExtractable = 0x00000017,
    ObjectAlreadyExists = 0x00000018,
    GeneralFailure = 0x00000100,
}

/// <summary>Cryptographic Algorithm enumeration.</summary>
public enum KmipCryptographicAlgorithm : uint
{
    // KMIP 1.0
    Des = 0x00000001,
    TripleDes = 0x00000002,
    Aes = 0x00000003,
    Rsa = 0x00000004,
    Dsa = 0x00000005,
    Ecdsa = 0x00000006,
    HmacSha1 = 0x00000007,
    HmacSha224 = 0x00000008,
    HmacSha256 = 0x00000009,
    HmacSha384 = 0x0000000A,
    HmacSha512 = 0x0000000B,
    HmacMd5 = 0x0000000C,
    Dh = 0x0000000D,
    Ecdh = 0x0000000E,
    Ecmqv = 0x0000000F,
    Blowfish = 0x00000010,
    Camellia = 0x00000011,
    Cast5 = 0x00000012,
    Idea = 0x00000013,
    Mars = 0x00000014,
    Rc2 = 0x00000015,
    Rc4 = 0x00000016,
    Rc5 = 0x00000017,
    Skipjack = 0x00000018,
    Twofish = 0x00000019,

    // KMIP 1.2
    Ec = 0x0000001A,

    // KMIP 1.3
    OneTimePad = 0x0000001B,

    // KMIP 1.4
    Chacha20 = 0x0000001C,
    Poly1305 = 0x0000001D,
    Chacha20Poly1305 = 0x0000001E,
    Sha3_224 = 0x0000001F,
    Sha3_256 = 0x00000020,
    Sha3_384 = 0x00000021,
    Sha3_512 = 0x00000022,
    HmacSha3_224 = 0x00000023,
    HmacSha3_256 = 0x00000024,
    HmacSha3_384 = 0x00000025,
    HmacSha3_512 = 0x00000026,
    Shake128 = 0x00000027,
    Shake256 = 0x00000028,
}

/// <summary>Block Cipher Mode enumeration.</summary>
public enum KmipBlockCipherMode : uint
{
    // KMIP 1.0
    Cbc = 0x00000001,
    Ecb = 0x00000002,
    Pcbc = 0x00000003,
    Cfb = 0x00000004,
    Ofb = 0x00000005,
    Ctr = 0x00000006,
    Cmac = 0x00000007,
    Ccm = 0x00000008,
    Gcm = 0x00000009,
    CbcMac = 0x0000000A,
    Xts = 0x0000000B,
    AesKeyWrapPadding = 0x0000000C,
    NistKeyWrap = 0x0000000D,
    X9_102Aeskw = 0x0000000E,
    X9_102Tdkw = 0x0000000F,
    X9_102Akw1 = 0x00000010,
    X9_102Akw2 = 0x00000011,

    // KMIP 1.4
    Aead = 0x00000012,
}

/// <summary>Padding Method enumeration.</summary>
public enum KmipPaddingMethod : uint
{
    // KMIP 1.0
    None = 0x00000001,
    Oaep = 0x00000002,
    Pkcs5 = 0x00000003,
    Ssl3 = 0x00000004,
    Zeros = 0x00000005,
    AnsiX923 = 0x00000006,
    Iso10126 = 0x00000007,
    Pkcs1V15 = 0x00000008,
    X931 = 0x00000009,
    Pss = 0x0000000A,
}

/// <summary>Hashing Algorithm enumeration.</summary>
public enum KmipHashingAlgorithm : uint
{
    // KMIP 1.0
    Md2 = 0x00000001,
    Md4 = 0x00000002,
    Md5 = 0x00000003,
    Sha1 = 0x00000004,
    Sha224 = 0x00000005,
    Sha256 = 0x00000006,
    Sha384 = 0x00000007,
    Sha512 = 0x00000008,
    Ripemd160 = 0x00000009,
    Tiger = 0x0000000A,
    Whirlpool = 0x0000000B,

    // KMIP 1.2
    Sha512_224 = 0x0000000C,
    Sha512_256 = 0x0000000D,

    // KMIP 1.4
    Sha3_224 = 0x0000000E,
    Sha3_256 = 0x0000000F,
    Sha3_384 = 0x00000010,
    Sha3_512 = 0x00000011,
}

/// <summary>Digital Signature Algorithm enumeration.</summary>
public enum KmipDigitalSignatureAlgorithm : uint
{
    // KMIP 1.1
    Md2WithRsaEncryption = 0x00000001,
    Md5WithRsaEncryption = 0x00000002,
    Sha1WithRsaEncryption = 0x00000003,
    Sha224WithRsaEncryption = 0x00000004,
    Sha256WithRsaEncryption = 0x00000005,
    Sha384WithRsaEncryption = 0x00000006,
    Sha512WithRsaEncryption = 0x00000007,
    RsassaPss = 0x00000008,
    DsaWithSha1 = 0x00000009,
    DsaWithSha224 = 0x0000000A,
    DsaWithSha256 = 0x0000000B,
    EcdsaWithSha1 = 0x0000000C,
    EcdsaWithSha224 = 0x0000000D,
    EcdsaWithSha256 = 0x0000000E,
    EcdsaWithSha384 = 0x0000000F,
    EcdsaWithSha512 = 0x00000010,

    // KMIP 1.4
    Sha3_256WithRsaEncryption = 0x00000011,
    Sha3_384WithRsaEncryption = 0x00000012,
    Sha3_512WithRsaEncryption = 0x00000013,
}

/// <summary>Key Format Type enumeration.</summary>
public enum KmipKeyFormatType : uint
{
    // KMIP 1.0
    Raw = 0x00000001,
    Opaque = 0x00000002,
    Pkcs1 = 0x00000003,
    Pkcs8 = 0x00000004,
    X509 = 0x00000005,
    EcPrivateKey = 0x00000006,
    TransparentSymmetricKey = 0x00000007,
    TransparentDsaPrivateKey = 0x00000008,
    TransparentDsaPublicKey = 0x00000009,
    TransparentRsaPrivateKey = 0x0000000A,
    TransparentRsaPublicKey = 0x0000000B,
    TransparentDhPrivateKey = 0x0000000C,
    TransparentDhPublicKey = 0x0000000D,
    TransparentEcdsaPrivateKey = 0x0000000E,
    TransparentEcdsaPublicKey = 0x0000000F,
    TransparentEcdhPrivateKey = 0x00000010,
    TransparentEcdhPublicKey = 0x00000011,
    TransparentEcmqvPrivateKey = 0x00000012,
    TransparentEcmqvPublicKey = 0x00000013,

    // KMIP 1.3
    TransparentEcPrivateKey = 0x00000014,
    TransparentEcPublicKey = 0x00000015,

    // KMIP 1.4
    Pkcs12 = 0x00000016,
}

/// <summary>State enumeration.</summary>
public enum KmipState : uint
{
    // KMIP 1.0
    PreActive = 0x00000001,
    Active = 0x00000002,
    Deactivated = 0x00000003,
    Compromised = 0x00000004,
    Destroyed = 0x00000005,
    DestroyedCompromised = 0x00000006,
}

/// <summary>Name Type enumeration.</summary>
public enum KmipNameType : uint
{
    // KMIP 1.0
    UninterpretedTextString = 0x00000001,
    Uri = 0x00000002,
}

/// <summary>Revocation Reason Code enumeration.</summary>
public enum KmipRevocationReasonCode : uint
{
    // KMIP 1.0
    Unspecified = 0x00000001,
    KeyCompromise = 0x00000002,
    CaCompromise = 0x00000003,
    AffiliationChanged = 0x00000004,
    Superseded = 0x00000005,
    CessationOfOperation = 0x00000006,
    PrivilegeWithdrawn = 0x00000007,
}

/// <summary>Query Function enumeration.</summary>
public enum KmipQueryFunction : uint
{
    // KMIP 1.0
    QueryOperations = 0x00000001,
    QueryObjects = 0x00000002,
    QueryServerInformation = 0x00000003,
    QueryApplicationNamespaces = 0x00000004,

    // KMIP 1.1
    QueryExtensionList = 0x00000005,
    QueryExtensionMap = 0x00000006,

    // KMIP 1.2
    QueryAttestationTypes = 0x00000007,

    // KMIP 1.3
    QueryRngs = 0x00000008,
    QueryValidations = 0x00000009,
    QueryProfiles = 0x0000000A,
    QueryCapabilities = 0x0000000B,
    QueryClientRegistrationMethods = 0x0000000C,
}

/// <summary>Recommended Curve enumeration.</summary>
public enum KmipRecommendedCurve : uint
{
    // KMIP 1.0
    P192 = 0x00000001,
    K163 = 0x00000002,
    B163 = 0x00000003,
    P224 = 0x00000004,
    K233 = 0x00000005,
    B233 = 0x00000006,
    P256 = 0x00000007,
    K283 = 0x00000008,
    B283 = 0x00000009,
    P384 = 0x0000000A,
    K409 = 0x0000000B,
    B409 = 0x0000000C,
    P521 = 0x0000000D,
    K571 = 0x0000000E,
    B571 = 0x0000000F,

    // KMIP 1.2
    Secp112r1 = 0x00000010,
    Secp112r2 = 0x00000011,
    Secp128r1 = 0x00000012,
    Secp128r2 = 0x00000013,
    Secp160k1 = 0x00000014,
    Secp160r1 = 0x00000015,
    Secp160r2 = 0x00000016,
    Secp191k1 = 0x00000017,
    Secp224k1 = 0x00000018,
    Secp256k1 = 0x00000019,
    Sect113r1 = 0x0000001A,
    Sect113r2 = 0x0000001B,
    Sect131r1 = 0x0000001C,
    Sect131r2 = 0x0000001D,
    Sect163r1 = 0x0000001E,
    Sect193r1 = 0x0000001F,
    Sect193r2 = 0x00000020,
    Sect239k1 = 0x00000021,
    Ansix9p192v2 = 0x00000022,
    Ansix9p192v3 = 0x00000023,
    Ansix9p239v1 = 0x00000024,
    Ansix9p239v2 = 0x00000025,
    Ansix9p239v3 = 0x00000026,
    Ansix9c2pnb163v1 = 0x00000027,
    Ansix9c2pnb163v2 = 0x00000028,
    Ansix9c2pnb163v3 = 0x00000029,
    Ansix9c2pnb176v1 = 0x0000002A,
    Ansix9c2tnb191v1 = 0x0000002B,
    Ansix9c2tnb191v2 = 0x0000002C,
    Ansix9c2tnb191v3 = 0x0000002D,
    Ansix9c2pnb208w1 = 0x0000002E,
    Ansix9c2tnb239v1 = 0x0000002F,
    Ansix9c2tnb239v2 = 0x00000030,
    Ansix9c2tnb239v3 = 0x00000031,
    Ansix9c2pnb272w1 = 0x00000032,
    Ansix9c2pnb304w1 = 0x00000033,
    Ansix9c2tnb359v1 = 0x00000034,
    Ansix9c2pnb368w1 = 0x00000035,
    Ansix9c2tnb431r1 = 0x00000036,
    Brainpoolp160r1 = 0x00000037,
    Brainpoolp160t1 = 0x00000038,
    Brainpoolp192r1 = 0x00000039,
    Brainpoolp192t1 = 0x0000003A,
    Brainpoolp224r1 = 0x0000003B,
    Brainpoolp224t1 = 0x0000003C,
    Brainpoolp256r1 = 0x0000003D,
    Brainpoolp256t1 = 0x0000003E,
    Brainpoolp320r1 = 0x0000003F,
    Brainpoolp320t1 = 0x00000040,
    Brainpoolp384r1 = 0x00000041,
    Brainpoolp384t1 = 0x00000042,
    Brainpoolp512r1 = 0x00000043,
    Brainpoolp512t1 = 0x00000044,
}

/// <summary>Link Type enumeration.</summary>
public enum KmipLinkType : uint
{
    // KMIP 1.0
    CertificateLink = 0x00000101,
    PublicKeyLink = 0x00000102,
    PrivateKeyLink = 0x00000103,
    DerivationBaseObjectLink = 0x00000104,
    DerivedKeyLink = 0x00000105,
    ReplacementObjectLink = 0x00000106,
    ReplacedObjectLink = 0x00000107,

    // KMIP 1.2
    ParentLink = 0x00000108,
    ChildLink = 0x00000109,
    PreviousLink = 0x0000010A,
    NextLink = 0x0000010B,

    // KMIP 1.4
    Pkcs12CertificateLink = 0x0000010C,
    Pkcs12PasswordLink = 0x0000010D,
}

/// <summary>Certificate Type enumeration.</summary>
public enum KmipCertificateType : uint
{
    // KMIP 1.0
    X509 = 0x00000001,
    Pgp = 0x00000002,
}

/// <summary>Secret Data Type enumeration.</summary>
public enum KmipSecretDataType : uint
{
    // KMIP 1.0
    Password = 0x00000001,
    Seed = 0x00000002,
}

/// <summary>Batch Error Continuation Option enumeration.</summary>
public enum KmipBatchErrorContinuationOption : uint
{
    // KMIP 1.0
    Continue = 0x00000001,
    Stop = 0x00000002,
    Undo = 0x00000003,
}

/// <summary>Cryptographic Usage Mask bits; the attribute is an Integer holding these bits.</summary>
[Flags]
public enum KmipCryptographicUsageMask : uint
{
    None = 0x00000000,

    // KMIP 1.0
    Sign = 0x00000001,
    Verify = 0x00000002,
    Encrypt = 0x00000004,
    Decrypt = 0x00000008,
    WrapKey = 0x00000010,
    UnwrapKey = 0x00000020,
    Export = 0x00000040,
    MacGenerate = 0x00000080,
    MacVerify = 0x00000100,
    DeriveKey = 0x00000200,
    ContentCommitment = 0x00000400,
    KeyAgreement = 0x00000800,
    CertificateSign = 0x00001000,
    CrlSign = 0x00002000,
    GenerateCryptogram = 0x00004000,
    ValidateCryptogram = 0x00008000,
    TranslateEncrypt = 0x00010000,
    TranslateDecrypt = 0x00020000,
    TranslateWrap = 0x00040000,
    TranslateUnwrap = 0x00080000,
}
