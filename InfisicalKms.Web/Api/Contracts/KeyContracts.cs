using System.Text.Json.Serialization;
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

// Request shapes, for the OpenAPI document. Handlers read the JSON themselves to give spec §4's messages.

public sealed record CreateKeyBody(string ProjectId, string Name, string? Description, string? KeyUsage, string? Algorithm, string? EncryptionAlgorithm, bool? IsExportable);

public sealed record UpdateKeyBody(string? Name, string? Description, bool? IsDisabled);

public sealed record EncryptBody(string Plaintext, string? AssociatedData);

public sealed record DecryptBody(string Ciphertext, string? AssociatedData);

public sealed record SignBody(string SigningAlgorithm, string Data, bool? IsDigest);

public sealed record VerifyBody(string SigningAlgorithm, string Data, string Signature, bool? IsDigest);
