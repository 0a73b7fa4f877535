using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary>Certificate signing requests for the KMIP tests: from openssl, from .NET, and broken ones.</summary>
public static class KmipCsr
{
    /// <summary><c>openssl req -new -newkey rsa:2048 -nodes -subj /CN=x</c>: the CSR and its private key, as PEM.</summary>
    public static async Task<(string Csr, string PrivateKey)> OpenSslAsync()
    {
        string folder = Directory.CreateTempSubdirectory("kmip-csr-").FullName;
        try
        {
            string key = Path.Combine(folder, "client.key");
            string csr = Path.Combine(folder, "client.csr");
            await ExternalTools.RunOkAsync("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=x", "-keyout", key, "-out", csr]);
            return (await File.ReadAllTextAsync(csr), await File.ReadAllTextAsync(key));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A CSR over <paramref name="key"/> that asks for much more than a KMIP client gets: another subject, a CA, serverAuth, other names.</summary>
    public static string Greedy(ECDsa key)
    {
        var request = new CertificateRequest("CN=admin, O=Someone Else", key, HashAlgorithmName.SHA384);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("evil.example.com");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        return request.CreateSigningRequestPem();
    }

    /// <summary>
    /// A CSR the server must refuse: <c>garbage</c> (not PKCS#10), <c>tampered</c> (its signature does not verify),
    /// <c>rsa1024</c> or <c>p521</c> (a key it does not certify).
    /// </summary>
    public static string Bad(string kind)
    {
        switch (kind)
        {
            case "garbage":
                return "-----BEGIN CERTIFICATE REQUEST-----\nTm90IGEgY2VydGlmaWNhdGUgcmVxdWVzdA==\n-----END CERTIFICATE REQUEST-----\n";
            case "tampered":
                using (RSA rsa = RSA.Create(2048))
                {
                    byte[] der = new CertificateRequest("CN=x", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequest();
                    der[^1] ^= 0x01;   // the last byte of the signature
                    return PemEncoding.WriteString("CERTIFICATE REQUEST", der);
                }

            case "rsa1024":
                using (RSA rsa = RSA.Create(1024))
                {
                    return new CertificateRequest("CN=x", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();
                }

            case "p521":
                using (ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP521))
                {
                    return new CertificateRequest("CN=x", ec, HashAlgorithmName.SHA512).CreateSigningRequestPem();
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }
}
