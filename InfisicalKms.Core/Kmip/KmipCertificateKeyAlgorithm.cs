namespace InfisicalKms.Core.Kmip;

/// <summary>The key pair the server makes for a KMIP client certificate when the client brings no CSR.</summary>
public enum KmipCertificateKeyAlgorithm
{
    Rsa2048,
    Rsa4096,
    EcP256,
    EcP384,
}

public static class KmipCertificateKeyAlgorithms
{
    /// <summary>Infisical's names for certificate key algorithms.</summary>
    public static readonly WireNames<KmipCertificateKeyAlgorithm> Wire = new(
        (KmipCertificateKeyAlgorithm.Rsa2048, "RSA_2048"),
        (KmipCertificateKeyAlgorithm.Rsa4096, "RSA_4096"),
        (KmipCertificateKeyAlgorithm.EcP256, "EC_prime256v1"),
        (KmipCertificateKeyAlgorithm.EcP384, "EC_secp384r1"));

    public const KmipCertificateKeyAlgorithm Default = KmipCertificateKeyAlgorithm.Rsa2048;

    public static string ToWire(this KmipCertificateKeyAlgorithm algorithm) => Wire.Name(algorithm);
}
