using System.Runtime.InteropServices;
using System.Text.Json;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Keys;
using InfisicalKms.Web.Api.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InfisicalKms.Web.Api;

/// <summary>
/// Batch routes (spec §10.6): 1–1000 items; the key's checks fail the whole request, an item's own
/// validation or operation failure fails only its slot.
/// </summary>
public static class BatchEndpoints
{
    public const int MaxItems = 1000;

    public static RouteGroupBuilder MapBatchEndpoints(this RouteGroupBuilder key)
    {
        key.MapPost("encrypt/batch", EncryptAsync).WithName("Keys_EncryptBatch").JsonBody<BatchBody<EncryptBody>>().Extension();
        key.MapPost("decrypt/batch", DecryptAsync).WithName("Keys_DecryptBatch").JsonBody<BatchBody<DecryptBody>>().Extension();
        key.MapPost("sign/batch", SignAsync).WithName("Keys_SignBatch").JsonBody<BatchBody<SignBody>>().Extension();
        key.MapPost("verify/batch", VerifyAsync).WithName("Keys_VerifyBatch").JsonBody<BatchBody<VerifyBody>>().Extension();
        return key;
    }

    private static Task<Ok<BatchResponse>> EncryptAsync(HttpContext http, string keyId, KeyBatchService batches) =>
        RunAsync(http, keyId,
            (item, e) => (item.Base64(e, "plaintext", required: true, CryptoEndpoints.MaxData)!, item.Base64(e, "associatedData", required: false, CryptoEndpoints.MaxAssociatedData)),
            (actor, key, items, rejected, ct) => batches.EncryptAsync(actor, key, items, rejected, ct),
            r => new BatchItemResult(Ciphertext: Convert.ToBase64String(r.Ciphertext)));

    private static Task<Ok<BatchResponse>> DecryptAsync(HttpContext http, string keyId, KeyBatchService batches) =>
        RunAsync(http, keyId,
            (item, e) => (item.Base64(e, "ciphertext", required: true, CryptoEndpoints.MaxCiphertext)!, item.Base64(e, "associatedData", required: false, CryptoEndpoints.MaxAssociatedData)),
            (actor, key, items, rejected, ct) => batches.DecryptAsync(actor, key, items, rejected, ct),
            r => new BatchItemResult(Plaintext: Convert.ToBase64String(r.Plaintext)));

    private static Task<Ok<BatchResponse>> SignAsync(HttpContext http, string keyId, KeyBatchService batches) =>
        RunAsync(http, keyId,
            (item, e) => new SignRequest(
                item.Enum(e, "signingAlgorithm", SigningAlgorithms.Wire, required: true) ?? default,
                item.Base64(e, "data", required: true, CryptoEndpoints.MaxData)!,
                item.Boolean(e, "isDigest") ?? false),
            (actor, key, items, rejected, ct) => batches.SignAsync(actor, key, items, rejected, ct),
            (r, request) => new BatchItemResult(Signature: Convert.ToBase64String(r), SigningAlgorithm: request.Algorithm.ToWire()));

    private static Task<Ok<BatchResponse>> VerifyAsync(HttpContext http, string keyId, KeyBatchService batches) =>
        RunAsync(http, keyId,
            (item, e) => new VerifyRequest(
                item.Enum(e, "signingAlgorithm", SigningAlgorithms.Wire, required: true) ?? default,
                item.Base64(e, "data", required: true, CryptoEndpoints.MaxData)!,
                item.Base64(e, "signature", required: true, CryptoEndpoints.MaxSignature)!,
                item.Boolean(e, "isDigest") ?? false),
            (actor, key, items, rejected, ct) => batches.VerifyAsync(actor, key, items, rejected, ct),
            (r, request) => new BatchItemResult(SignatureValid: r, SigningAlgorithm: request.Algorithm.ToWire()));

    private static Task<Ok<BatchResponse>> RunAsync<TItem, TResult>(
        HttpContext http, string keyId, Func<RequestValidator, JsonElement, TItem> read,
        Func<Core.Access.Actor, KeyRef, IReadOnlyList<TItem>, int, CancellationToken, Task<IReadOnlyList<BatchOutcome<TResult>>>> run,
        Func<TResult, BatchItemResult> map) =>
        RunAsync(http, keyId, read, run, (result, _) => map(result));

    private static async Task<Ok<BatchResponse>> RunAsync<TItem, TResult>(
        HttpContext http, string keyId, Func<RequestValidator, JsonElement, TItem> read,
        Func<Core.Access.Actor, KeyRef, IReadOnlyList<TItem>, int, CancellationToken, Task<IReadOnlyList<BatchOutcome<TResult>>>> run,
        Func<TResult, TItem, BatchItemResult> map)
    {
        JsonElement body = await RequestBody.ReadObjectAsync(http, RequestBody.CryptoLimit, itemsMember: "items");
        var v = RequestValidator.For(http);
        Guid id = v.Uuid("keyId", keyId);
        JsonElement? items = v.Array(body, "items", required: true, min: 1, max: MaxItems);
        v.ThrowIfInvalid();

        // Validate each item on its own; only the valid ones reach Core, in order.
        var slots = new BatchItemResult?[items!.Value.GetArrayLength()];
        var valid = new List<(int Slot, TItem Item)>();
        int index = 0;
        foreach (JsonElement element in items.Value.EnumerateArray())
        {
            RequestValidator item = v.ForItems("items");
            TItem parsed = default!;
            if (element.ValueKind != JsonValueKind.Object)
            {
                item.Fail("item", RequestValidator.TypeMessage("object", element));
            }
            else if (JsonUnicode.FindUnpairedSurrogate(JsonMarshal.GetRawUtf8Value(element)) is { } path)
            {
                item.Fail(path.Length == 0 ? "item" : path, JsonUnicode.UnpairedSurrogate);   // in any member, read or not
            }
            else
            {
                parsed = read(item, element);
            }

            if (item.IsValid)
            {
                valid.Add((index, parsed));
            }
            else
            {
                slots[index] = new BatchItemResult(Error: new BatchItemError(422, new KmsValidationException(item.Issues).Message));
            }

            index++;
        }

        // Called even when no item is valid: the key's own checks (K2–K5) still decide the whole request. The
        // refused items are counted too: the audit record covers the whole request (spec §10.6).
        IReadOnlyList<BatchOutcome<TResult>> outcomes = await run(
            KmsAuthFilter.Caller(http), new KeyRef(id, keyId), valid.Select(x => x.Item).ToList(), slots.Length - valid.Count, http.RequestAborted);
        for (int i = 0; i < outcomes.Count; i++)
        {
            BatchOutcome<TResult> outcome = outcomes[i];
            slots[valid[i].Slot] = outcome.Error is { } error
                ? new BatchItemResult(Error: new BatchItemError(error.StatusCode, error.Message))
                : map(outcome.Value!, valid[i].Item);
        }

        return TypedResults.Ok(new BatchResponse(slots.Select(s => s!).ToArray()));
    }
}
