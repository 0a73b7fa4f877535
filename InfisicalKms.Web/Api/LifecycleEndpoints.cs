using System.Text.Json;
using InfisicalKms.Core.Keys;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InfisicalKms.Web.Api;

/// <summary>Rotation, versions, schedules and export (spec §7.13, §7.14, §7.16, §10.1, §10.2).</summary>
public static class LifecycleEndpoints
{
    public static RouteGroupBuilder MapLifecycleEndpoints(this RouteGroupBuilder key)
    {
        key.MapPost("rotate", RotateAsync).WithName("Keys_Rotate").JsonBody<EmptyBody>().Infisical();
        key.MapGet("versions", VersionsAsync).WithName("Keys_Versions").Extension();
        key.MapPut("rotation-schedule", ScheduleAsync).WithName("Keys_RotationSchedule").JsonBody<RotationScheduleBody>().Extension();
        key.MapGet("private-key", ExportAsync).WithName("Keys_PrivateKey").Infisical();
        return key;
    }

    public static RouteGroupBuilder MapBulkEndpoints(this RouteGroupBuilder keys)
    {
        keys.MapPost("bulk-export-private-keys", BulkExportAsync).WithName("Keys_BulkExport").JsonBody<BulkExportBody>().Infisical();
        return keys;
    }

    private static async Task<Ok<KeyResponse>> RotateAsync(HttpContext http, string keyId, KeyLifecycleService lifecycle)
    {
        await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);   // optional; members ignored
        KmsKey key = await lifecycle.RotateAsync(KmsAuthFilter.Caller(http), KeyEndpoints.KeyIdFromPath(keyId), http.RequestAborted);
        return TypedResults.Ok(new KeyResponse(KeyDto.From(key)));
    }

    private static async Task<Ok<KeyVersionsResponse>> VersionsAsync(HttpContext http, string keyId, KeyLifecycleService lifecycle)
    {
        IReadOnlyList<KeyVersionInfo> versions = await lifecycle.ListVersionsAsync(KmsAuthFilter.Caller(http), KeyEndpoints.KeyIdFromPath(keyId), http.RequestAborted);
        return TypedResults.Ok(new KeyVersionsResponse(versions.Select(v => new KeyVersionDto(v.Version, ApiJson.Timestamp(v.CreatedAt), v.IsCurrent)).ToArray()));
    }

    private static async Task<Ok<KeyResponse>> ScheduleAsync(HttpContext http, string keyId, KeyLifecycleService lifecycle)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        Guid id = v.Uuid("keyId", keyId);
        bool? enabled = v.Boolean(body, "enabled", required: true);
        long? interval = v.Integer(body, "intervalDays", required: false, 1, 365);
        if (enabled == true && interval is null && !v.Failed("intervalDays"))
        {
            v.Fail("intervalDays", "intervalDays is required when enabled is true");
        }

        v.ThrowIfInvalid();
        KmsKey key = await lifecycle.SetRotationScheduleAsync(KmsAuthFilter.Caller(http), new KeyRef(id, keyId), enabled!.Value, (int?)interval, http.RequestAborted);
        return TypedResults.Ok(new KeyResponse(KeyDto.From(key)));
    }

    private static async Task<Ok<PrivateKeyResponse>> ExportAsync(HttpContext http, string keyId, KeyLifecycleService lifecycle)
    {
        byte[] exported = await lifecycle.ExportAsync(KmsAuthFilter.Caller(http), KeyEndpoints.KeyIdFromPath(keyId), http.RequestAborted);
        return TypedResults.Ok(new PrivateKeyResponse(Convert.ToBase64String(exported)));
    }

    private static async Task<Ok<BulkExportResponse>> BulkExportAsync(HttpContext http, KeyLifecycleService lifecycle)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.DefaultLimit);
        var v = RequestValidator.For(http);
        var keyRefs = new List<KeyRef>();
        if (v.Array(body, "keyIds", required: true, min: 1, max: 100) is { } ids)
        {
            int i = 0;
            foreach (JsonElement element in ids.EnumerateArray())
            {
                string field = $"keyIds[{i++}]";
                if (v.Text(field, element) is not { } text)
                {
                    continue;
                }

                Guid id = v.Uuid(field, text);
                if (!v.Failed(field))
                {
                    keyRefs.Add(new KeyRef(id, text));
                }
            }

            if (v.IsValid && keyRefs.Select(k => k.Id).Distinct().Count() != keyRefs.Count)
            {
                v.Fail("keyIds", "Duplicate key IDs are not allowed");
            }
        }

        v.ThrowIfInvalid();
        IReadOnlyList<ExportedKey> exported = await lifecycle.BulkExportAsync(KmsAuthFilter.Caller(http), keyRefs, http.RequestAborted);
        return TypedResults.Ok(new BulkExportResponse(exported.Select(e => new BulkExportedKeyDto(
            e.Key.Id.ToString(), e.Key.Name, e.Key.Usage.ToWire(), e.Key.Algorithm.ToWire(), Convert.ToBase64String(e.PrivateKey),
            e.PublicKey is null ? null : Convert.ToBase64String(e.PublicKey))).ToArray()));
    }
}
