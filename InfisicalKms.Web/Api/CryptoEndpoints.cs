using System.Text.Json;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Keys;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InfisicalKms.Web.Api;

/// <summary>Cryptographic routes of one key (spec §7.7–§7.12). Nothing they process is stored or logged.</summary>
public static class CryptoEndpoints
{
    public const int MaxData = 1_048_576;
    public const int MaxCiphertext = 1_049_600;
    public const int MaxSignature = 8_192;
    public const int MaxAssociatedData = 8_192;

    public static RouteGroupBuilder MapCryptoEndpoints(this RouteGroupBuilder key)
    {
        key.MapPost("encrypt", EncryptAsync).WithName("Keys_Encrypt").JsonBody<EncryptBody>().Infisical();
        key.MapPost("decrypt", DecryptAsync).WithName("Keys_Decrypt").JsonBody<DecryptBody>().Infisical();
        key.MapGet("public-key", PublicKeyAsync).WithName("Keys_PublicKey").Infisical();
        key.MapGet("signing-algorithms", SigningAlgorithmsAsync).WithName("Keys_SigningAlgorithms").Infisical();
        key.MapPost("sign", SignAsync).WithName("Keys_Sign").JsonBody<SignBody>().Infisical();
        key.MapPost("verify", VerifyAsync).WithName("Keys_Verify").JsonBody<VerifyBody>().Infisical();
        return key;
    }

    private static async Task<Ok<EncryptResponse>> EncryptAsync(HttpContext http, string keyId, KeyCryptoService crypto)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.CryptoLimit);
        var v = RequestValidator.For(http);
        Guid id = v.Uuid("keyId", keyId);
        byte[]? plaintext = v.Base64(body, "plaintext", required: true, MaxData);
        byte[]? aad = v.Base64(body, "associatedData", required: false, MaxAssociatedData);
        v.ThrowIfInvalid();
        EncryptResult result = await crypto.EncryptAsync(KmsAuthFilter.Caller(http), new KeyRef(id, keyId), plaintext!, aad, http.RequestAborted);
        return TypedResults.Ok(new EncryptResponse(Convert.ToBase64String(result.Ciphertext)));
    }

    private static async Task<Ok<DecryptResponse>> DecryptAsync(HttpContext http, string keyId, KeyCryptoService crypto)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.CryptoLimit);
        var v = RequestValidator.For(http);
        Guid id = v.Uuid("keyId", keyId);
        byte[]? ciphertext = v.Base64(body, "ciphertext", required: true, MaxCiphertext);
        byte[]? aad = v.Base64(body, "associatedData", required: false, MaxAssociatedData);
        v.ThrowIfInvalid();
        DecryptResult result = await crypto.DecryptAsync(KmsAuthFilter.Caller(http), new KeyRef(id, keyId), ciphertext!, aad, http.RequestAborted);
        return TypedResults.Ok(new DecryptResponse(Convert.ToBase64String(result.Plaintext)));
    }

    private static async Task<Ok<PublicKeyResponse>> PublicKeyAsync(HttpContext http, string keyId, KeyCryptoService crypto)
    {
        byte[] spki = await crypto.GetPublicKeyAsync(KmsAuthFilter.Caller(http), KeyEndpoints.KeyIdFromPath(keyId), http.RequestAborted);
        return TypedResults.Ok(new PublicKeyResponse(Convert.ToBase64String(spki)));
    }

    private static async Task<Ok<SigningAlgorithmsResponse>> SigningAlgorithmsAsync(HttpContext http, string keyId, KeyCryptoService crypto)
    {
        IReadOnlyList<SigningAlgorithm> algorithms = await crypto.GetSigningAlgorithmsAsync(KmsAuthFilter.Caller(http), KeyEndpoints.KeyIdFromPath(keyId), http.RequestAborted);
        return TypedResults.Ok(new SigningAlgorithmsResponse(algorithms.Select(a => a.ToWire()).ToArray()));
    }

    private static async Task<Ok<SignResponse>> SignAsync(HttpContext http, string keyId, KeyCryptoService crypto)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.CryptoLimit);
        var v = RequestValidator.For(http);
        Guid id = v.Uuid("keyId", keyId);
        SigningAlgorithm? algorithm = v.Enum(body, "signingAlgorithm", SigningAlgorithms.Wire, required: true);
        byte[]? data = v.Base64(body, "data", required: true, MaxData);
        bool isDigest = v.Boolean(body, "isDigest") ?? false;
        v.ThrowIfInvalid();
        byte[] signature = await crypto.SignAsync(KmsAuthFilter.Caller(http), new KeyRef(id, keyId), new SignRequest(algorithm!.Value, data!, isDigest), http.RequestAborted);
        return TypedResults.Ok(new SignResponse(Convert.ToBase64String(signature), id.ToString(), algorithm.Value.ToWire()));
    }

    private static async Task<Ok<VerifyResponse>> VerifyAsync(HttpContext http, string keyId, KeyCryptoService crypto)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.CryptoLimit);
        var v = RequestValidator.For(http);
        Guid id = v.Uuid("keyId", keyId);
        SigningAlgorithm? algorithm = v.Enum(body, "signingAlgorithm", SigningAlgorithms.Wire, required: true);
        byte[]? data = v.Base64(body, "data", required: true, MaxData);
        byte[]? signature = v.Base64(body, "signature", required: true, MaxSignature);
        bool isDigest = v.Boolean(body, "isDigest") ?? false;
        v.ThrowIfInvalid();
        bool valid = await crypto.VerifyAsync(KmsAuthFilter.Caller(http), new KeyRef(id, keyId), new VerifyRequest(algorithm!.Value, data!, signature!, isDigest), http.RequestAborted);
        return TypedResults.Ok(new VerifyResponse(valid, id.ToString(), algorithm.Value.ToWire()));
    }
}
