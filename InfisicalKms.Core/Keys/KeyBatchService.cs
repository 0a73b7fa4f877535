using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Errors;

namespace InfisicalKms.Core.Keys;

/// <summary>
/// Batch operations (spec §10.6): the key is checked once (K2–K5 fail the whole request), its material is
/// unwrapped once per version, and each item then succeeds or fails on its own.
/// </summary>
public sealed class KeyBatchService(KeyRing ring, KeyCryptoService crypto, AuditLog audit)
{
    public Task<IReadOnlyList<BatchOutcome<EncryptResult>>> EncryptAsync(Actor actor, KeyRef keyRef, IReadOnlyList<(byte[] Plaintext, byte[]? Aad)> items, int rejectedCount, CancellationToken ct) =>
        AuditedAsync<EncryptResult>(actor, AuditEventTypes.Encrypt, items.Count, rejectedCount, async entry =>
        {
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.Encrypt], KeyUsage.EncryptDecrypt, ct);
            return items.Select(item => BatchOutcome<EncryptResult>.Ok(crypto.EncryptWith(key, item.Plaintext, item.Aad))).ToList();
        });

    public Task<IReadOnlyList<BatchOutcome<DecryptResult>>> DecryptAsync(Actor actor, KeyRef keyRef, IReadOnlyList<(byte[] Ciphertext, byte[]? Aad)> items, int rejectedCount, CancellationToken ct) =>
        AuditedAsync<DecryptResult>(actor, AuditEventTypes.Decrypt, items.Count, rejectedCount, async entry =>
        {
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.Decrypt], KeyUsage.EncryptDecrypt, ct);
            var results = new List<BatchOutcome<DecryptResult>>(items.Count);
            foreach ((byte[] blob, byte[]? aad) in items)
            {
                results.Add(await crypto.DecryptWithAsync(key, blob, aad, ct) is { } result
                    ? BatchOutcome<DecryptResult>.Ok(result)
                    : BatchOutcome<DecryptResult>.Fail(new DecryptionFailedException()));
            }

            return results;
        });

    public Task<IReadOnlyList<BatchOutcome<byte[]>>> SignAsync(Actor actor, KeyRef keyRef, IReadOnlyList<SignRequest> items, int rejectedCount, CancellationToken ct) =>
        AuditedAsync<byte[]>(actor, AuditEventTypes.Sign, items.Count, rejectedCount, async entry =>
        {
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.Sign], KeyUsage.SignVerify, ct);
            return items.Select(item => Try(() => ring.Sign(key, item))).ToList();
        });

    public Task<IReadOnlyList<BatchOutcome<bool>>> VerifyAsync(Actor actor, KeyRef keyRef, IReadOnlyList<VerifyRequest> items, int rejectedCount, CancellationToken ct) =>
        AuditedAsync<bool>(actor, AuditEventTypes.Verify, items.Count, rejectedCount, async entry =>
        {
            UsableKey key = await ring.ResolveAsync(actor, keyRef, entry, [Permission.Verify], KeyUsage.SignVerify, ct);
            return items.Select(item => Try(() => KeyCryptoService.Verify(key, item))).ToList();
        });

    /// <summary>One record per batch request: how many items it held and how many failed (spec §10.7.4).</summary>
    /// <param name="rejectedCount">Items the caller already failed on their own field rules (spec §10.6, 422 per item); they
    /// never reach this service but are items of the request, so they count in <c>itemCount</c> and <c>failedCount</c>.</param>
    private Task<IReadOnlyList<BatchOutcome<T>>> AuditedAsync<T>(
        Actor actor, string eventType, int validCount, int rejectedCount, Func<AuditEntry, Task<IReadOnlyList<BatchOutcome<T>>>> run)
    {
        AuditEntry entry = audit.Entry(actor, eventType).With("itemCount", validCount + rejectedCount);
        return audit.RunAsync(entry, async () =>
        {
            IReadOnlyList<BatchOutcome<T>> outcomes = await run(entry);
            entry.With("failedCount", rejectedCount + outcomes.Count(o => o.Error is not null));
            return outcomes;
        });
    }

    private static BatchOutcome<T> Try<T>(Func<T> operation)
    {
        try
        {
            return BatchOutcome<T>.Ok(operation());
        }
        catch (KmsException e)
        {
            return BatchOutcome<T>.Fail(e);
        }
    }
}

/// <summary>One batch item's result, or the error that failed only that item.</summary>
public sealed record BatchOutcome<T>(T? Value, KmsException? Error)
{
    public static BatchOutcome<T> Ok(T value) => new(value, null);

    public static BatchOutcome<T> Fail(KmsException error) => new(default, error);
}
