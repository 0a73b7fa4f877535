using System.Text.Json;
using InfisicalKms.Core.Keys;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InfisicalKms.Web.Api;

/// <summary>Bulk import (spec §7.15): request-level validation is all or nothing, then entries succeed or fail alone.</summary>
public static class ImportEndpoints
{
    public const int MaxKeyMaterial = 16_384;

    public static RouteGroupBuilder MapImportEndpoints(this RouteGroupBuilder keys)
    {
        keys.MapPost("bulk-import", ImportAsync).WithName("Keys_BulkImport").JsonBody<BulkImportBody>().Infisical();
        return keys;
    }

    private static async Task<Ok<BulkImportResponse>> ImportAsync(HttpContext http, KeyImportService import)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        string? projectId = v.ProjectId(body);
        IReadOnlyList<ImportEntry> entries = ReadEntries(v, body);
        v.ThrowIfInvalid();
        IReadOnlyList<ImportResult> results = await import.ImportAsync(KmsAuthFilter.Caller(http), projectId!, entries, http.RequestAborted);
        return TypedResults.Ok(new BulkImportResponse(
            results.Where(r => r.Key is not null).Select(r => new ImportedKeyDto(r.Key!.Id.ToString(), r.Key.Name)).ToArray(),
            results.Where(r => r.Error is not null).Select(r => new ImportErrorDto(r.Name, r.Error!)).ToArray()));
    }

    /// <summary>The request-level rules of spec §7.15 for the <c>keys</c> array; the UI's import dialog uses them too.</summary>
    public static IReadOnlyList<ImportEntry> ReadEntries(RequestValidator v, JsonElement body)
    {
        var entries = new List<ImportEntry>();
        if (v.Array(body, "keys", required: true, min: 1, max: 100) is { } keys)
        {
            int i = 0;
            foreach (JsonElement element in keys.EnumerateArray())
            {
                if (ReadEntry(v, element, $"keys[{i++}]") is { } entry)
                {
                    entries.Add(entry);
                }
            }
        }

        return entries;
    }

    private static ImportEntry? ReadEntry(RequestValidator v, JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            v.Fail(path, RequestValidator.TypeMessage("object", element));
            return null;
        }

        string? name = v.Slug(element, $"{path}.name", "Name", 1, 32, required: true);
        string? description = v.String(element, $"{path}.description", required: false, max: 500);
        KeyUsage usage = v.Enum(element, $"{path}.keyUsage", KeyUsages.Wire) ?? KeyUsage.EncryptDecrypt;
        KeyAlgorithm? algorithm = v.Enum(element, $"{path}.algorithm", KeyAlgorithms.Wire);
        KeyAlgorithm? encryptionAlgorithm = v.Enum(element, $"{path}.encryptionAlgorithm", KeyAlgorithms.Wire);
        byte[]? material = v.Value(element, $"{path}.keyMaterial", required: false) is { ValueKind: JsonValueKind.String } text && v.Text($"{path}.keyMaterial", text) == ""
            ? FailEmpty(v, $"{path}.keyMaterial")
            : v.Base64(element, $"{path}.keyMaterial", required: true, MaxKeyMaterial);
        bool exportable = v.Boolean(element, $"{path}.isExportable") ?? false;

        KeyAlgorithm? effective = algorithm ?? encryptionAlgorithm;
        string field = algorithm is not null || encryptionAlgorithm is null ? $"{path}.algorithm" : $"{path}.encryptionAlgorithm";
        if (!v.Failed($"{path}.keyUsage") && !v.Failed($"{path}.algorithm") && !v.Failed($"{path}.encryptionAlgorithm"))
        {
            if (effective is null)
            {
                v.Fail($"{path}.algorithm", "algorithm is required");
            }
            else if (effective.Value.Usage() != usage)
            {
                v.Fail(field, usage switch
                {
                    KeyUsage.EncryptDecrypt => "algorithm must be a symmetric algorithm for encrypt-decrypt keys",
                    KeyUsage.SignVerify => "algorithm must be an asymmetric algorithm for sign-verify keys",
                    _ => "algorithm must be an HMAC algorithm for generate-verify-mac keys",
                });
            }
        }

        return name is null || material is null || effective is null || effective.Value.Usage() != usage ? null
            : new ImportEntry(name, description, effective.Value, material, exportable);
    }

    private static byte[]? FailEmpty(RequestValidator v, string field)
    {
        v.Fail(field, "String must contain at least 1 character(s)");
        return null;
    }
}
