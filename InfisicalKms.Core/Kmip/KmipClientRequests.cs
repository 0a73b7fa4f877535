namespace InfisicalKms.Core.Kmip;

public sealed record CreateKmipClientRequest(string ProjectId, string Name, string? Description, KmipPermissions Permissions);

/// <summary>Null members are left as they are.</summary>
public sealed record UpdateKmipClientRequest(string? Name, string? Description, KmipPermissions? Permissions);

public sealed record ListKmipClientsRequest(string ProjectId, int Offset = 0, int Limit = 100, string? Search = null);

public sealed record KmipClientPage(IReadOnlyList<KmipClient> Clients, int TotalCount);

/// <summary>
/// Either <paramref name="KeyAlgorithm"/> (the server makes the key pair and returns the private key once) or
/// <paramref name="CsrPem"/> (a PKCS#10 request whose public key is certified; no private key is returned); neither
/// means <see cref="KmipCertificateKeyAlgorithms.Default"/>. <paramref name="Ttl"/> null is
/// <see cref="KmipSettings.CertificateLifetime"/>.
/// </summary>
public sealed record IssueKmipCertificateRequest(KmipCertificateKeyAlgorithm? KeyAlgorithm, string? CsrPem, TimeSpan? Ttl);

/// <summary>A certificate just issued, as PEM texts with LF line ends; <see cref="PrivateKeyPem"/> is PKCS#8.</summary>
/// <remarks>The private key is a secret that exists only in this answer: it is never stored, logged or audited.</remarks>
public sealed record KmipIssuedCertificate(
    string SerialNumber, string CertificatePem, string? PrivateKeyPem, string CaCertificatePem, DateTime NotBefore, DateTime NotAfter)
{
    public override string ToString() =>
        $"KmipIssuedCertificate({SerialNumber}, {NotBefore:O} to {NotAfter:O}{(PrivateKeyPem is null ? "" : ", with private key")})";   // never the key
}
