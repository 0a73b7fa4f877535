using System.Text.Json.Serialization;
using System.ComponentModel.DataAnnotations;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Keys;

namespace InfisicalKms.Web.Api.Contracts;

/// <summary>The key object (spec §3).</summary>
public sealed record KeyDto(
    string Id, string Name, string? Description, bool IsDisabled, string OrgId, string ProjectId,
    string KeyUsage, string EncryptionAlgorithm, string Algorithm, int Version, bool IsExportable,
    string CreatedAt, string UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] RotationDto? Rotation)
{
    public static KeyDto From(KmsKey key) => new(
        key.Id.ToString(), key.Name, key.Description, key.IsDisabled, key.OrganizationId.ToString(), key.ProjectId.ToString(),
        key.Usage.ToWire(), key.Algorithm.ToWire(), key.Algorithm.ToWire(), key.Version, key.IsExportable,
        ApiJson.Timestamp(key.CreatedAt), ApiJson.Timestamp(key.UpdatedAt),
        key.Usage == Core.Keys.KeyUsage.SignVerify ? null : new RotationDto(
            key.RotationEnabled, key.RotationIntervalDays, ApiJson.Timestamp(key.LastRotatedAt), ApiJson.Timestamp(key.NextRotationAt)));
}

/// <summary>Extension member of the key object (spec §3, §10.2).</summary>
public sealed record RotationDto(bool Enabled, int? IntervalDays, string? LastRotatedAt, string? NextRotationAt);

public sealed record KeyResponse(KeyDto Key);

public sealed record KeyListResponse(IReadOnlyList<KeyDto> Keys, int TotalCount);

public sealed record EncryptResponse(string Ciphertext);

public sealed record DecryptResponse(string Plaintext);

public sealed record PublicKeyResponse(string PublicKey);

public sealed record SigningAlgorithmsResponse(IReadOnlyList<string> SigningAlgorithms);

public sealed record SignResponse(string Signature, string KeyId, string SigningAlgorithm);

public sealed record VerifyResponse(bool SignatureValid, string KeyId, string SigningAlgorithm);

// Request records (spec §7.1–§7.12).

public sealed record CreateKeyBody(
    [property: MinLength(1)] string ProjectId,
    [property: Slug(1, 32)] string Name,
    [property: MaxLength(500)] string? Description,
    [property: WireEnum<Core.Keys.KeyUsage>] string? KeyUsage,
    [property: WireEnum<KeyAlgorithm>] string? Algorithm,
    [property: WireEnum<KeyAlgorithm>] string? EncryptionAlgorithm,
    bool? IsExportable);

public sealed record UpdateKeyBody([property: Slug(1, 32)] string? Name, [property: MaxLength(500)] string? Description, bool? IsDisabled);

public sealed record EncryptBody(
    [property: Base64(CryptoEndpoints.MaxData)] string Plaintext,
    [property: Base64(CryptoEndpoints.MaxAssociatedData)] string? AssociatedData);

public sealed record DecryptBody(
    [property: Base64(CryptoEndpoints.MaxCiphertext)] string Ciphertext,
    [property: Base64(CryptoEndpoints.MaxAssociatedData)] string? AssociatedData);

public sealed record SignBody(
    [property: WireEnum<SigningAlgorithm>] string SigningAlgorithm,
    [property: Base64(CryptoEndpoints.MaxData)] string Data,
    bool? IsDigest);

public sealed record VerifyBody(
    [property: WireEnum<SigningAlgorithm>] string SigningAlgorithm,
    [property: Base64(CryptoEndpoints.MaxData)] string Data,
    [property: Base64(CryptoEndpoints.MaxSignature)] string Signature,
    bool? IsDigest);

public sealed record KeyListQuery(
    [property: MinLength(1)] string ProjectId,
    [property: Range(0, int.MaxValue)] int? Offset,
    [property: Range(1, 100)] int? Limit,
    [property: AllowedValues("name")] string? OrderBy,
    [property: AllowedValues("asc", "desc")] string? OrderDirection,
    string? Search);

public sealed record KeyByNameQuery([property: MinLength(1)] string ProjectId);
