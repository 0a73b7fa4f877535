// X.509 profiles of the instance's KMIP certificate authority (RFC 5280), signed SHA-256 with RSA PKCS#1 v1.5:
//   CA       RSA-3072, self-signed, CN "InfisicalKms KMIP CA", 10 years; basicConstraints CA:true pathLen 0 (critical),
//            keyUsage keyCertSign|cRLSign (critical), subjectKeyIdentifier
//   server   RSA-2048, CN "InfisicalKms KMIP server"; SANs: DNS names and IP addresses; EKU serverAuth
//   client   CN=<client id>, OU=<project id>, O=InfisicalKms; SANs: URI urn:infisical-kms:kmip-client:<client id> and
//            DNS <client name> (when it fits a DNS label, 63 characters); EKU clientAuth
//   leaves   basicConstraints CA:false (critical), keyUsage digitalSignature|keyEncipherment (critical), SKI, AKI
//   serial   16 random bytes, positive: top bit clear and the next one set, so it is always 16 bytes (32 hex digits)
// PyKMIP (and OpenSSL-based clients in general) refuse leaves without a subjectAltName and a fitting extendedKeyUsage.
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using InfisicalKms.Core.Errors;

namespace InfisicalKms.Core.Kmip;

/// <summary>Builds and checks the certificates of <see cref="KmipCertificateAuthority"/>; no I/O, no state.</summary>
internal static class KmipCertificateProfiles
{
    public const string CaCommonName = "InfisicalKms KMIP CA";
    public const string ServerCommonName = "InfisicalKms KMIP server";
    public const string Organization = "InfisicalKms";
    public const string ClientUriPrefix = "urn:infisical-kms:kmip-client:";
    public const string InvalidCsr = "The CSR is not a valid PKCS#10 certificate request";
    public const string CsrSignatureInvalid = "The CSR's signature does not verify: it was not signed with the private key of the public key it carries";
    public const string CsrKeyRefused = "The CSR's public key must be RSA of 2048 bits or more, or EC on the P-256 or P-384 curve";

    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const string P384Oid = "1.3.132.0.34";

    public static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2", "Client Authentication");
    public static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    public static X509Certificate2 CreateAuthority(RSA key, DateTimeOffset now)
    {
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + CaCommonName), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        DateTimeOffset start = Seconds(now.AddMinutes(-5));
        return request.Create(request.SubjectName, X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1), start, start.AddYears(10), NewSerial());
    }

    public static CertificateRequest ClientRequest(KmipClient client, PublicKey publicKey)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName(Organization);
        subject.AddOrganizationalUnitName(client.ProjectId.ToString());
        subject.AddCommonName(client.Id.ToString());
        var request = new CertificateRequest(subject.Build(), publicKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(ClientUriPrefix + client.Id));
        if (client.Name.Length <= 63)
        {
            names.AddDnsName(client.Name);   // a slug of 1-63 characters is a DNS label
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClientAuth], false));
        return request;
    }

    public static CertificateRequest ServerRequest(IReadOnlyList<string> names, PublicKey publicKey)
    {
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + ServerCommonName), publicKey, HashAlgorithmName.SHA256);
        var alternative = new SubjectAlternativeNameBuilder();
        foreach (string name in names)
        {
            if (IPAddress.TryParse(name, out IPAddress? address))
            {
                alternative.AddIpAddress(address);
            }
            else
            {
                alternative.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(alternative.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth], false));
        return request;
    }

    /// <summary>Adds the leaf extensions and signs <paramref name="request"/> with the CA's key.</summary>
    public static X509Certificate2 SignLeaf(CertificateRequest request, X509Certificate2 authority, RSA authorityKey, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        return request.Create(authority.SubjectName, X509SignatureGenerator.CreateForRSA(authorityKey, RSASignaturePadding.Pkcs1),
            Seconds(notBefore), Seconds(notAfter), NewSerial());
    }

    /// <summary>A fresh key pair of <paramref name="algorithm"/>.</summary>
    public static AsymmetricAlgorithm NewKey(KmipCertificateKeyAlgorithm algorithm) => algorithm switch
    {
        KmipCertificateKeyAlgorithm.Rsa2048 => RSA.Create(2048),
        KmipCertificateKeyAlgorithm.Rsa4096 => RSA.Create(4096),
        KmipCertificateKeyAlgorithm.EcP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        KmipCertificateKeyAlgorithm.EcP384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, null),
    };

    public static PublicKey PublicKeyOf(AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => new PublicKey(rsa),
        ECDsa ec => new PublicKey(ec),
        _ => throw new ArgumentException("RSA or ECDSA only.", nameof(key)),
    };

    /// <summary>
    /// The public key of a PKCS#10 request whose signature verifies, if it is one we certify. Only the key is taken:
    /// the subject, names and extensions it asks for are ignored (the certificate's are ours).
    /// </summary>
    /// <exception cref="KmsBadRequestException">Not a CSR, a signature that does not verify, or a key we refuse.</exception>
    public static PublicKey ReadCsrPublicKey(string csrPem)
    {
        CertificateRequest parsed = LoadCsr(csrPem, CertificateRequestLoadOptions.SkipSignatureValidation) ?? throw new KmsBadRequestException(InvalidCsr);
        if (LoadCsr(csrPem, CertificateRequestLoadOptions.Default) is null)
        {
            throw new KmsBadRequestException(CsrSignatureInvalid);
        }

        PublicKey key = parsed.PublicKey;
        try
        {
            bool accepted = key.Oid.Value switch
            {
                RsaOid => key.GetRSAPublicKey() is { } rsa && Using(rsa, r => r.KeySize is >= 2048 and <= 16384),
                EcOid => key.GetECDsaPublicKey() is { } ec && Using(ec, e => e.ExportParameters(false).Curve is { IsNamed: true } curve
                    && curve.Oid.Value is P256Oid or P384Oid),
                _ => false,
            };
            return accepted ? key : throw new KmsBadRequestException(CsrKeyRefused);
        }
        catch (CryptographicException)
        {
            throw new KmsBadRequestException(CsrKeyRefused);
        }
    }

    /// <summary>Whether <paramref name="certificate"/> names clientAuth in an extendedKeyUsage and is not a CA.</summary>
    public static bool IsClientLeaf(X509Certificate2 certificate)
    {
        bool clientAuth = false;
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension is X509BasicConstraintsExtension { CertificateAuthority: true })
            {
                return false;
            }

            if (extension is X509EnhancedKeyUsageExtension usage)
            {
                clientAuth = usage.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ClientAuth.Value);
            }
        }

        return clientAuth;
    }

    /// <summary>16 random bytes, positive and of fixed length (see the file header).</summary>
    public static byte[] NewSerial()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        return serial;
    }

    /// <summary>Certificates carry whole seconds: the stored dates must equal the certificate's.</summary>
    public static DateTimeOffset Seconds(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static CertificateRequest? LoadCsr(string pem, CertificateRequestLoadOptions options)
    {
        try
        {
            return CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256, options);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException)
        {
            return null;
        }
    }

    private static bool Using<T>(T key, Func<T, bool> check)
        where T : IDisposable
    {
        using (key)
        {
            return check(key);
        }
    }
}
