using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Kmip.Ttlv;

namespace InfisicalKms.Core.Kmip.Server;

/// <summary>
/// A KMIP managed object of the product: a key, or the public half of an RSA or EC key. KMIP needs two objects
/// for a key pair where the product has one key, so the public key's unique identifier is the key's ID with
/// <see cref="PublicSuffix"/>.
/// </summary>
public readonly record struct KmipObjectId(Guid KeyId, bool IsPublic)
{
    public const string PublicSuffix = "-public";

    public static bool TryParse(string? uid, out KmipObjectId id)
    {
        id = default;
        if (uid is null)
        {
            return false;
        }

        bool isPublic = uid.EndsWith(PublicSuffix, StringComparison.Ordinal);
        string keyPart = isPublic ? uid[..^PublicSuffix.Length] : uid;
        if (!Uuids.TryParse(keyPart, out Guid keyId))
        {
            return false;
        }

        id = new KmipObjectId(keyId, isPublic);
        return true;
    }

    public override string ToString() => IsPublic ? $"{KeyId}{PublicSuffix}" : KeyId.ToString();
}

/// <summary>How the product's key algorithms read as KMIP object types, algorithms, lengths and usage masks.</summary>
public static class KmipKeyMapping
{
    public static KmipObjectType ObjectType(KeyAlgorithm algorithm, bool isPublic) => algorithm.Usage() switch
    {
        KeyUsage.SignVerify => isPublic ? KmipObjectType.PublicKey : KmipObjectType.PrivateKey,
        _ => KmipObjectType.SymmetricKey,
    };

    public static KmipCryptographicAlgorithm Algorithm(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.Aes256Gcm or KeyAlgorithm.Aes128Gcm => KmipCryptographicAlgorithm.Aes,
        KeyAlgorithm.Rsa4096 => KmipCryptographicAlgorithm.Rsa,
        KeyAlgorithm.EccNistP256 or KeyAlgorithm.EccNistP384 or KeyAlgorithm.EccNistP521 => KmipCryptographicAlgorithm.Ecdsa,
        KeyAlgorithm.HmacSha1 => KmipCryptographicAlgorithm.HmacSha1,
        KeyAlgorithm.HmacSha224 => KmipCryptographicAlgorithm.HmacSha224,
        KeyAlgorithm.HmacSha256 => KmipCryptographicAlgorithm.HmacSha256,
        KeyAlgorithm.HmacSha384 => KmipCryptographicAlgorithm.HmacSha384,
        KeyAlgorithm.HmacSha512 => KmipCryptographicAlgorithm.HmacSha512,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>Cryptographic Length in bits: the key size, the modulus or the curve's field size; an HMAC key's hash size.</summary>
    public static int Length(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.Aes256Gcm => 256,
        KeyAlgorithm.Aes128Gcm => 128,
        KeyAlgorithm.Rsa4096 => 4096,
        KeyAlgorithm.EccNistP256 => 256,
        KeyAlgorithm.EccNistP384 => 384,
        KeyAlgorithm.EccNistP521 => 521,
        KeyAlgorithm.HmacSha1 => 160,
        KeyAlgorithm.HmacSha224 => 224,
        KeyAlgorithm.HmacSha256 => 256,
        KeyAlgorithm.HmacSha384 => 384,
        KeyAlgorithm.HmacSha512 => 512,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>The usage mask a key made outside KMIP reports: what the product lets it do.</summary>
    public static KmipCryptographicUsageMask DefaultUsageMask(KeyAlgorithm algorithm, bool isPublic) => algorithm.Usage() switch
    {
        KeyUsage.EncryptDecrypt => KmipCryptographicUsageMask.Encrypt | KmipCryptographicUsageMask.Decrypt,
        KeyUsage.SignVerify => isPublic ? KmipCryptographicUsageMask.Verify : KmipCryptographicUsageMask.Sign,
        _ => KmipCryptographicUsageMask.MacGenerate | KmipCryptographicUsageMask.MacVerify,
    };

    /// <summary>The product algorithm a Create or Register asks for; null when the product has none like it.</summary>
    public static KeyAlgorithm? Symmetric(KmipCryptographicAlgorithm algorithm, int? lengthInBits) => algorithm switch
    {
        KmipCryptographicAlgorithm.Aes when lengthInBits is 256 => KeyAlgorithm.Aes256Gcm,
        KmipCryptographicAlgorithm.Aes when lengthInBits is 128 => KeyAlgorithm.Aes128Gcm,
        KmipCryptographicAlgorithm.HmacSha1 => KeyAlgorithm.HmacSha1,
        KmipCryptographicAlgorithm.HmacSha224 => KeyAlgorithm.HmacSha224,
        KmipCryptographicAlgorithm.HmacSha256 => KeyAlgorithm.HmacSha256,
        KmipCryptographicAlgorithm.HmacSha384 => KeyAlgorithm.HmacSha384,
        KmipCryptographicAlgorithm.HmacSha512 => KeyAlgorithm.HmacSha512,
        _ => null,
    };

    /// <summary>The product algorithm a CreateKeyPair asks for: RSA-4096, or ECDSA/EC on P-256, P-384 or P-521.</summary>
    public static KeyAlgorithm? KeyPair(KmipCryptographicAlgorithm algorithm, int? lengthInBits, KmipRecommendedCurve? curve) => algorithm switch
    {
        KmipCryptographicAlgorithm.Rsa when lengthInBits is 4096 or null => KeyAlgorithm.Rsa4096,
        KmipCryptographicAlgorithm.Ecdsa or KmipCryptographicAlgorithm.Ec => (curve, lengthInBits) switch
        {
            (KmipRecommendedCurve.P256, _) or (null, 256) => KeyAlgorithm.EccNistP256,
            (KmipRecommendedCurve.P384, _) or (null, 384) => KeyAlgorithm.EccNistP384,
            (KmipRecommendedCurve.P521, _) or (null, 521) => KeyAlgorithm.EccNistP521,
            _ => null,
        },
        _ => null,
    };

    /// <summary>The product algorithms a Locate filter on algorithm (and length) matches.</summary>
    public static IReadOnlyList<KeyAlgorithm> Matching(KmipCryptographicAlgorithm? algorithm, int? lengthInBits) =>
        [.. Enum.GetValues<KeyAlgorithm>().Where(a =>
            (algorithm is null || Algorithm(a) == algorithm || (algorithm == KmipCryptographicAlgorithm.Ec && a.IsEcc()))
            && (lengthInBits is null || Length(a) == lengthInBits))];
}

/// <summary>The attributes of a Create, CreateKeyPair or Register template, by attribute name.</summary>
public sealed class KmipTemplate
{
    private readonly Dictionary<string, List<TtlvItem>> _values = new(StringComparer.Ordinal);

    /// <summary>Reads every Attribute of the given template structures (later ones win for single-valued attributes).</summary>
    public static KmipTemplate From(params TtlvItem?[] templates)
    {
        var template = new KmipTemplate();
        foreach (TtlvItem item in templates.OfType<TtlvItem>())
        {
            foreach (TtlvItem attribute in item.FindAll(KmipTag.Attribute))
            {
                string name = attribute.Require(KmipTag.AttributeName).AsText();
                TtlvItem value = attribute.Require(KmipTag.AttributeValue);
                if (!template._values.TryGetValue(name, out List<TtlvItem>? list))
                {
                    template._values[name] = list = [];
                }

                list.Add(value);
            }
        }

        return template;
    }

    public TtlvItem? Get(string name) => _values.TryGetValue(name, out List<TtlvItem>? list) ? list[^1] : null;

    /// <summary>The attribute names the template holds.</summary>
    public IEnumerable<string> Names => _values.Keys;

    public KmipCryptographicAlgorithm? Algorithm => Get(KmipAttributeNames.CryptographicAlgorithm) is { } v ? (KmipCryptographicAlgorithm)v.AsEnumeration() : null;

    public int? Length => Get(KmipAttributeNames.CryptographicLength)?.AsInteger();

    public uint? UsageMask => Get(KmipAttributeNames.CryptographicUsageMask) is { } v ? (uint)v.AsInteger() : null;

    public KmipRecommendedCurve? Curve =>
        Get(KmipAttributeNames.CryptographicDomainParameters)?.Find(KmipTag.RecommendedCurve) is { } c ? (KmipRecommendedCurve)c.AsEnumeration() : null;

    /// <summary>The Name attribute's text, when the template has one.</summary>
    public string? Name => Get(KmipAttributeNames.Name)?.Find(KmipTag.NameValue)?.AsText();

    public DateTimeOffset? ActivationDate => Get(KmipAttributeNames.ActivationDate)?.AsDateTime();
}
