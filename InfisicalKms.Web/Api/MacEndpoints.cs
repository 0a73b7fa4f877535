using System.Text.Json;
using InfisicalKms.Core.Keys;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InfisicalKms.Web.Api;

/// <summary>MACs (spec §7.17, §7.18), data keys (§10.3) and re-wrapping (§10.4).</summary>
public static class MacEndpoints
{
    public const int MaxMac = 1_024;

    public static RouteGroupBuilder MapMacEndpoints(this RouteGroupBuilder key)
    {
        key.MapPost("generate-mac", GenerateMacAsync).WithName("Keys_GenerateMac").JsonBody<DataBody>().Infisical();
        key.MapPost("verify-mac", VerifyMacAsync).WithName("Keys_VerifyMac").JsonBody<VerifyMacBody>().Infisical();
        key.MapPost("data-key", DataKeyAsync).WithName("Keys_DataKey").JsonBody<DataKeyBody>().Extension();
        key.MapPost("rewrap", RewrapAsync).WithName("Keys_Rewrap").JsonBody<DecryptBody>().Extension();
        return key;
    }

    private static async Task<Ok<MacResponse>> GenerateMacAsync(HttpContext http, string keyId, KeyMacService macs)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.CryptoLimit);
        var v = RequestValidator.For(http);
        Guid id = v.Uuid("keyId", keyId);
        byte[]? data = v.Base64(body, "data", required: true, CryptoEndpoints.MaxData);
        v.ThrowIfInvalid();
        (byte[] mac, KeyAlgorithm algorithm) = await macs.GenerateMacAsync(KmsAuthFilter.Caller(http), new KeyRef(id, keyId), data!, http.RequestAborted);
        return TypedResults.Ok(new MacResponse(Convert.ToBase64String(mac), id.ToString(), algorithm.ToWire()));
    }

    private static async Task<Ok<VerifyMacResponse>> VerifyMacAsync(HttpContext http, string keyId, KeyMacService macs)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.CryptoLimit);
        var v = RequestValidator.For(http);
        Guid id = v.Uuid("keyId", keyId);
        byte[]? data = v.Base64(body, "data", required: true, CryptoEndpoints.MaxData);
        byte[]? mac = v.Base64(body, "mac", required: true, MaxMac);
        v.ThrowIfInvalid();
        (bool valid, KeyAlgorithm algorithm) = await macs.VerifyMacAsync(KmsAuthFilter.Caller(http), new KeyRef(id, keyId), data!, mac!, http.RequestAborted);
        return TypedResults.Ok(new VerifyMacResponse(valid, id.ToString(), algorithm.ToWire()));
    }

    private static async Task<Ok<DataKeyResponse>> DataKeyAsync(HttpContext http, string keyId, KeyMacService macs)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.CryptoLimit);
        var v = RequestValidator.For(http);
        Guid id = v.Uuid("keyId", keyId);
        long? keySize = v.Integer(body, "keySize", required: false, long.MinValue, long.MaxValue);
        if (keySize is not (null or 16 or 32))
        {
            v.Fail("keySize", "keySize must be 16 or 32");
        }

        byte[]? aad = v.Base64(body, "associatedData", required: false, CryptoEndpoints.MaxAssociatedData);
        v.ThrowIfInvalid();
        DataKey dataKey = await macs.GenerateDataKeyAsync(KmsAuthFilter.Caller(http), new KeyRef(id, keyId), (int)(keySize ?? 32), aad, http.RequestAborted);
        try
        {
            return TypedResults.Ok(new DataKeyResponse(Convert.ToBase64String(dataKey.Plaintext), Convert.ToBase64String(dataKey.Ciphertext)));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(dataKey.Plaintext);
        }
    }

    private static async Task<Ok<EncryptResponse>> RewrapAsync(HttpContext http, string keyId, KeyMacService macs)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.CryptoLimit);
        var v = RequestValidator.For(http);
        Guid id = v.Uuid("keyId", keyId);
        byte[]? ciphertext = v.Base64(body, "ciphertext", required: true, CryptoEndpoints.MaxCiphertext);
        byte[]? aad = v.Base64(body, "associatedData", required: false, CryptoEndpoints.MaxAssociatedData);
        v.ThrowIfInvalid();
        RewrapResult result = await macs.RewrapAsync(KmsAuthFilter.Caller(http), new KeyRef(id, keyId), ciphertext!, aad, http.RequestAborted);
        return TypedResults.Ok(new EncryptResponse(Convert.ToBase64String(result.Ciphertext)));
    }
}
