using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using InfisicalKms.Core.Kmip;

namespace InfisicalKms.Web.Api.Contracts;

/// <summary>The KMIP client object; permissions by wire name, in canonical order.</summary>
public sealed record KmipClientDto(
    string Id, string ProjectId, string Name, string? Description, IReadOnlyList<string> Permissions,
    string CreatedAt, string UpdatedAt, string? RevokedAt)
{
    public static KmipClientDto From(KmipClient client) => new(
        client.Id.ToString(), client.ProjectId.ToString(), client.Name, client.Description, client.Permissions.ToWire(),
        ApiJson.Timestamp(client.CreatedAt), ApiJson.Timestamp(client.UpdatedAt), ApiJson.Timestamp(client.RevokedAt));
}

public sealed record KmipClientListResponse(IReadOnlyList<KmipClientDto> KmipClients, int TotalCount);

/// <summary>A certificate just issued: PEM texts; <c>certificateChain</c> is the CA certificate, as Infisical names it.</summary>
/// <remarks><c>privateKey</c> is present only when the server made the key pair; it is never shown again.</remarks>
public sealed record KmipIssuedCertificateResponse(
    string SerialNumber, string Certificate, string CertificateChain,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PrivateKey,
    string NotBefore, string NotAfter)
{
    public static KmipIssuedCertificateResponse From(KmipIssuedCertificate issued) => new(
        issued.SerialNumber, issued.CertificatePem, issued.CaCertificatePem, issued.PrivateKeyPem,
        ApiJson.Timestamp(issued.NotBefore), ApiJson.Timestamp(issued.NotAfter));

    public override string ToString() => $"KmipIssuedCertificateResponse({SerialNumber})";   // never the private key
}

public sealed record KmipCertificateDto(string SerialNumber, string NotBefore, string NotAfter, string CreatedAt)
{
    public static KmipCertificateDto From(KmipCertificate certificate) => new(
        certificate.SerialNumber, ApiJson.Timestamp(certificate.NotBefore), ApiJson.Timestamp(certificate.NotAfter), ApiJson.Timestamp(certificate.CreatedAt));
}

public sealed record KmipCertificateListResponse(IReadOnlyList<KmipCertificateDto> Certificates);

/// <summary>Whether the KMIP listener is on, its port, and the CA certificate clients must trust (null before the CA exists).</summary>
public sealed record KmipStatusResponse(bool Enabled, int Port, string? CaCertificate);

// Request records.

public sealed record CreateKmipClientBody(
    [property: MinLength(1)] string ProjectId,
    [property: Slug(1, KmipClientRules.NameMaxLength)] string Name,
    [property: MaxLength(KmipClientRules.DescriptionMaxLength)] string? Description,
    [property: WireEnum<KmipPermissions>, Length(0, KmipEndpoints.MaxPermissions)] IReadOnlyList<string> Permissions);

public sealed record UpdateKmipClientBody(
    [property: Slug(1, KmipClientRules.NameMaxLength)] string? Name,
    [property: MaxLength(KmipClientRules.DescriptionMaxLength)] string? Description,
    [property: WireEnum<KmipPermissions>, Length(0, KmipEndpoints.MaxPermissions)] IReadOnlyList<string>? Permissions);

/// <summary>At most one of <c>keyAlgorithm</c> and <c>csr</c> (neither: RSA_2048); <c>ttl</c> such as <c>30d</c> (s, m, h, d, y; at most 3650 days).</summary>
public sealed record IssueKmipCertificateBody(
    [property: WireEnum<KmipCertificateKeyAlgorithm>] string? KeyAlgorithm,
    [property: MaxLength(KmipEndpoints.MaxCsrLength)] string? Csr,
    [property: MaxLength(16)] string? Ttl);

public sealed record KmipClientListQuery(
    [property: MinLength(1)] string ProjectId,
    [property: Range(0, int.MaxValue)] int? Offset,
    [property: Range(1, 100)] int? Limit,
    string? Search);
