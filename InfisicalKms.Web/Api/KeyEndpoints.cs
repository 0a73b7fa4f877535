using System.Text.Json;
using InfisicalKms.Core.Keys;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InfisicalKms.Web.Api;

/// <summary>Key management routes (spec §7.1–§7.6).</summary>
public static class KeyEndpoints
{
    public static RouteGroupBuilder MapKeyEndpoints(this RouteGroupBuilder keys)
    {
        keys.MapPost("", CreateAsync).WithName("Keys_Create").JsonBody<CreateKeyBody>().Infisical();
        keys.MapGet("", ListAsync).WithName("Keys_List").Query<KeyListQuery>().Infisical();
        keys.MapGet("key-name/{keyName}", GetByNameAsync).WithName("Keys_GetByName").Query<KeyByNameQuery>().Infisical();
        keys.MapGet("{keyId}", GetAsync).WithName("Keys_Get").Infisical();
        keys.MapPatch("{keyId}", UpdateAsync).WithName("Keys_Update").JsonBody<UpdateKeyBody>().Infisical();
        keys.MapDelete("{keyId}", DeleteAsync).WithName("Keys_Delete").Infisical();
        return keys;
    }

    private static async Task<Ok<KeyResponse>> CreateAsync(HttpContext http, KeyService keys)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        string? projectId = v.ProjectId(body);
        string? name = v.Slug(body, "name", "Name", 1, 32, required: true);
        string? description = v.String(body, "description", required: false, max: 500);
        KeyUsage? usage = v.Enum(body, "keyUsage", KeyUsages.Wire);
        KeyAlgorithm? algorithm = v.Enum(body, "algorithm", KeyAlgorithms.Wire);
        KeyAlgorithm? encryptionAlgorithm = v.Enum(body, "encryptionAlgorithm", KeyAlgorithms.Wire);
        bool? isExportable = v.Boolean(body, "isExportable");
        KeyUsage effectiveUsage = usage ?? KeyUsage.EncryptDecrypt;
        KeyAlgorithm effective = algorithm ?? encryptionAlgorithm ?? KeyAlgorithms.DefaultFor(effectiveUsage);
        if (!v.Failed("keyUsage") && !v.Failed("algorithm") && !v.Failed("encryptionAlgorithm"))
        {
            string field = algorithm is not null ? "algorithm" : "encryptionAlgorithm";
            if (KeyAlgorithmRules.UsageMismatchMessage(effectiveUsage, effective, field) is { } mismatch)
            {
                v.Fail(field, mismatch);
            }
        }

        v.ThrowIfInvalid();
        var request = new CreateKeyRequest(projectId!, name!, description, effectiveUsage, effective, isExportable ?? false);
        KmsKey key = await keys.CreateAsync(KmsAuthFilter.Caller(http), request, http.RequestAborted);
        return TypedResults.Ok(new KeyResponse(KeyDto.From(key)));
    }

    private static async Task<Ok<KeyListResponse>> ListAsync(HttpContext http, KeyService keys)
    {
        var v = RequestValidator.For(http);
        string? projectId = v.Query("projectId");
        if (string.IsNullOrEmpty(projectId))
        {
            v.Fail("projectId", "Required");
        }

        int offset = v.QueryInteger("offset", v.Query("offset"), 0, 0, int.MaxValue);
        int limit = v.QueryInteger("limit", v.Query("limit"), 100, 1, 100);
        if (v.Query("orderBy") is { } orderBy && orderBy != "name")
        {
            v.Fail("orderBy", $"Invalid enum value. Expected 'name', received '{orderBy}'");
        }

        string direction = v.Query("orderDirection") ?? "asc";
        if (direction is not ("asc" or "desc"))
        {
            v.Fail("orderDirection", $"Invalid enum value. Expected 'asc' | 'desc', received '{direction}'");
        }

        v.ThrowIfInvalid();
        string? search = v.Query("search")?.Trim();
        var request = new ListKeysRequest(projectId!, offset, limit, direction == "desc", string.IsNullOrEmpty(search) ? null : search);
        KeyPage page = await keys.ListAsync(KmsAuthFilter.Caller(http), request, http.RequestAborted);
        return TypedResults.Ok(new KeyListResponse(page.Keys.Select(KeyDto.From).ToArray(), page.TotalCount));
    }

    private static async Task<Ok<KeyResponse>> GetByNameAsync(HttpContext http, string keyName, KeyService keys)
    {
        var v = RequestValidator.For(http);
        string? name = v.CheckSlug("keyName", keyName.Trim(), "Key name", 1, 64);
        string? projectId = v.Query("projectId");
        if (string.IsNullOrEmpty(projectId))
        {
            v.Fail("projectId", "Project ID is required");
        }

        v.ThrowIfInvalid();
        KmsKey key = await keys.GetByNameAsync(KmsAuthFilter.Caller(http), name!, projectId!, http.RequestAborted);
        return TypedResults.Ok(new KeyResponse(KeyDto.From(key)));
    }

    private static async Task<Ok<KeyResponse>> GetAsync(HttpContext http, string keyId, KeyService keys)
    {
        KeyRef key = KeyIdFromPath(keyId);
        return TypedResults.Ok(new KeyResponse(KeyDto.From(await keys.GetAsync(KmsAuthFilter.Caller(http), key, http.RequestAborted))));
    }

    private static async Task<Ok<KeyResponse>> UpdateAsync(HttpContext http, string keyId, KeyService keys)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        Guid id = v.Uuid("keyId", keyId);
        string? name = v.Slug(body, "name", "Name", 1, 32, required: false);
        string? description = v.String(body, "description", required: false, max: 500);
        bool? isDisabled = v.Boolean(body, "isDisabled");
        v.ThrowIfInvalid();
        KmsKey key = await keys.UpdateAsync(KmsAuthFilter.Caller(http), new KeyRef(id, keyId), new UpdateKeyRequest(name, description, isDisabled), http.RequestAborted);
        return TypedResults.Ok(new KeyResponse(KeyDto.From(key)));
    }

    private static async Task<Ok<KeyResponse>> DeleteAsync(HttpContext http, string keyId, KeyService keys)
    {
        KeyRef key = KeyIdFromPath(keyId);
        return TypedResults.Ok(new KeyResponse(KeyDto.From(await keys.DeleteAsync(KmsAuthFilter.Caller(http), key, http.RequestAborted))));
    }

    /// <summary>K1 of spec §2.6 for routes whose only input is the key ID.</summary>
    public static KeyRef KeyIdFromPath(string keyId)
    {
        var v = new RequestValidator();
        Guid id = v.Uuid("keyId", keyId);
        v.ThrowIfInvalid();
        return new KeyRef(id, keyId);
    }

    /// <summary>A required, non-empty <c>projectId</c> body field (spec §4.4): not UUID-validated.</summary>
    public static string? ProjectId(this RequestValidator v, JsonElement body)
    {
        string? projectId = v.String(body, "projectId", required: true, trim: false);
        if (projectId is { Length: 0 })
        {
            v.Fail("projectId", "Required");
            return null;
        }

        return projectId;
    }
}
