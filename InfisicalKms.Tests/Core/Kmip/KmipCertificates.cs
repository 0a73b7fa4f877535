using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>Reads what a certificate says (names, usages, key) and makes foreign certificates, for the KMIP tests.</summary>
public static class KmipCertificates
{
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    public static X509Certificate2 Parse(string pem) => X509Certificate2.CreateFromPem(pem);

    /// <summary>The value of the one RDN of type <paramref name="oid"/> in the subject (2.5.4.3 CN, 2.5.4.11 OU, 2.5.4.10 O).</summary>
    public static string? Subject(X509Certificate2 certificate, string oid) =>
        certificate.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(r => r.GetSingleElementType().Value == oid).Select(r => r.GetSingleElementValue()).SingleOrDefault();

    public static IReadOnlyList<string> DnsNames(X509Certificate2 certificate) => [.. AlternativeNames(certificate).EnumerateDnsNames()];

    public static IReadOnlyList<IPAddress> IpAddresses(X509Certificate2 certificate) => [.. AlternativeNames(certificate).EnumerateIPAddresses()];

    /// <summary>The subjectAltName's URIs (GeneralName [6] IA5String), read from the DER.</summary>
    public static IReadOnlyList<string> Uris(X509Certificate2 certificate)
    {
        AsnReader names = new AsnReader(AlternativeNames(certificate).RawData, AsnEncodingRules.DER).ReadSequence();
        var uri = new Asn1Tag(TagClass.ContextSpecific, 6);
        var uris = new List<string>();
        while (names.HasData)
        {
            if (names.PeekTag() == uri)
            {
                uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uri));
            }
            else
            {
                names.ReadEncodedValue();
            }
        }

        return uris;
    }

    public static IReadOnlyList<string> ExtendedKeyUsages(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>()).Select(o => o.Value!).ToList();

    public static X509KeyUsageFlags KeyUsage(X509Certificate2 certificate) => certificate.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages;

    public static X509BasicConstraintsExtension BasicConstraints(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single();

    /// <summary>Whether <paramref name="certificate"/> builds a chain to <paramref name="root"/> alone, now.</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.Thumbprint == root.Thumbprint;
    }

    /// <summary>Whether the private key in <paramref name="privateKeyPem"/> is the key the certificate certifies.</summary>
    public static bool PublicKeysMatch(X509Certificate2 certificate, string privateKeyPem)
    {
        using AsymmetricAlgorithm key = certificate.PublicKey.Oid.Value == "1.2.840.10045.2.1" ? ECDsa.Create() : RSA.Create();
        key.ImportFromPem(privateKeyPem);
        return key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(certificate.PublicKey.ExportSubjectPublicKeyInfo());
    }

    /// <summary>A CA of someone else's, with the very name of ours.</summary>
    public static X509Certificate2 ForeignAuthority()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=InfisicalKms KMIP CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>A certificate with <paramref name="model"/>'s subject and extensions over a new key: self-signed, or signed by <paramref name="issuer"/>.</summary>
    public static X509Certificate2 Imitate(X509Certificate2 model, X509Certificate2? issuer = null)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest(model.SubjectName, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        foreach (X509Extension extension in model.Extensions.Where(e => e.Oid?.Value is "2.5.29.17" or "2.5.29.37" or "2.5.29.15" or "2.5.29.19"))
        {
            request.CertificateExtensions.Add(extension);
        }

        DateTimeOffset from = DateTimeOffset.UtcNow.AddMinutes(-5);
        return issuer is null
            ? request.CreateSelfSigned(from, from.AddDays(30))
            : request.Create(issuer, from, from.AddDays(30), RandomNumberGenerator.GetBytes(16).Select((b, i) => i == 0 ? (byte)(b & 0x7F | 0x40) : b).ToArray());
    }

    private static X509SubjectAlternativeNameExtension AlternativeNames(X509Certificate2 certificate) =>
        new(certificate.Extensions.Single(e => e.Oid?.Value == "2.5.29.17").RawData);
}
