using System.Text.Json.Serialization;

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

public sealed record RotationScheduleBody(bool Enabled, int? IntervalDays);

public sealed record BulkExportBody(IReadOnlyList<string> KeyIds);

public sealed record ImportKeyBody(string Name, string? Description, string? KeyUsage, string? Algorithm, string? EncryptionAlgorithm, string KeyMaterial, bool? IsExportable);

public sealed record BulkImportBody(string ProjectId, IReadOnlyList<ImportKeyBody> Keys);

public sealed record DataBody(string Data);

public sealed record VerifyMacBody(string Data, string Mac);

public sealed record DataKeyBody(int? KeySize, string? AssociatedData);

public sealed record BatchBody(IReadOnlyList<System.Text.Json.JsonElement> Items);
