using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using InfisicalKms.Core.Keys;

namespace InfisicalKms.Web.Api.Contracts;

public sealed record KeyVersionDto(int Version, string CreatedAt, bool IsCurrent);

public sealed record KeyVersionsResponse(IReadOnlyList<KeyVersionDto> Versions);

public sealed record PrivateKeyResponse(string PrivateKey);

public sealed record BulkExportedKeyDto(
    string KeyId, string Name, string KeyUsage, string Algorithm, string PrivateKey,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PublicKey);

public sealed record BulkExportResponse(IReadOnlyList<BulkExportedKeyDto> Keys);

public sealed record ImportedKeyDto(string Id, string Name);

public sealed record ImportErrorDto(string Name, string Message);

public sealed record BulkImportResponse(IReadOnlyList<ImportedKeyDto> Keys, IReadOnlyList<ImportErrorDto> Errors);

public sealed record MacResponse(string Mac, string KeyId, string MacAlgorithm);

public sealed record VerifyMacResponse(bool MacValid, string KeyId, string MacAlgorithm);

public sealed record DataKeyResponse(string Plaintext, string Ciphertext);

/// <summary>One batch result: the operation's members, or <c>error</c> alone (spec §10.6).</summary>
public sealed record BatchItemResult(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Ciphertext = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Plaintext = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Signature = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? SignatureValid = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SigningAlgorithm = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BatchItemError? Error = null);

public sealed record BatchItemError(int StatusCode, string Message);

public sealed record BatchResponse(IReadOnlyList<BatchItemResult> Items);

// Request records (spec §7.13–§7.18, §10.1–§10.6).

/// <summary>A body whose members are all ignored (rotate, revoke a client secret); [BODY] rules still apply.</summary>
public sealed record EmptyBody;

public sealed record RotationScheduleBody(bool Enabled, [property: Range(1, 365)] int? IntervalDays);

public sealed record BulkExportBody([property: Length(1, 100)] IReadOnlyList<Guid> KeyIds);

public sealed record ImportKeyBody(
    [property: Slug(1, 32)] string Name,
    [property: MaxLength(500)] string? Description,
    [property: WireEnum<Core.Keys.KeyUsage>] string? KeyUsage,
    [property: WireEnum<KeyAlgorithm>] string? Algorithm,
    [property: WireEnum<KeyAlgorithm>] string? EncryptionAlgorithm,
    [property: Base64(ImportEndpoints.MaxKeyMaterial, minBytes: 1)] string KeyMaterial,
    bool? IsExportable);

public sealed record BulkImportBody([property: MinLength(1)] string ProjectId, [property: Length(1, 100)] IReadOnlyList<ImportKeyBody> Keys);

public sealed record DataBody([property: Base64(CryptoEndpoints.MaxData)] string Data);

public sealed record VerifyMacBody([property: Base64(CryptoEndpoints.MaxData)] string Data, [property: Base64(MacEndpoints.MaxMac)] string Mac);

public sealed record DataKeyBody([property: AllowedValues(16, 32)] int? KeySize, [property: Base64(CryptoEndpoints.MaxAssociatedData)] string? AssociatedData);

/// <summary>A batch (spec §10.6): 1–1000 items, each validated and processed on its own.</summary>
public sealed record BatchBody<TItem>([property: Length(1, BatchEndpoints.MaxItems)] IReadOnlyList<TItem> Items);
