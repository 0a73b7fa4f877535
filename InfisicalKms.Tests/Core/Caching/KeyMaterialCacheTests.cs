using System.Security.Cryptography;
using InfisicalKms.Core.Caching;
using InfisicalKms.Core.Crypto;

namespace InfisicalKms.Tests.Core.Caching;

/// <summary>Issue #13: cached key material is zeroed, and its parsed keys disposed, when it leaves the cache.</summary>
public sealed class KeyMaterialCacheTests
{
    [Fact]
    public void Lease_SecondTime_DoesNotUnwrapAgain()
    {
        using KeyMaterialCache cache = NewCache(10);
        int unwraps = 0;
        Guid keyId = Guid.NewGuid();

        using (cache.Lease(keyId, 1, () => Material(ref unwraps)))
        {
        }

        using KeyLease second = cache.Lease(keyId, 1, () => Material(ref unwraps));

        Assert.Equal(1, unwraps);
        Assert.Equal(32, second.Span.Length);
    }

    [Fact]
    public async Task KeysDeleted_ZeroesEveryEntry_ButOnlyAfterTheLastLeaseEnds()
    {
        var generations = new CacheGenerations();
        using var cache = new KeyMaterialCache(KmsCacheSettings.Default with { KeyMaterial = 10 }, generations);
        int unwraps = 0;
        Guid keyId = Guid.NewGuid();
        KeyLease held = cache.Lease(keyId, 1, () => Material(ref unwraps));
        byte[] seen = held.Span.ToArray();

        generations.Raise(CacheScopes.Keys, keysDeleted: true);
        await WaitForEvictionsAsync();

        Assert.Equal(seen, held.Span.ToArray());   // still in use: untouched
        held.Dispose();
        // Zeroed as the lease ends, or as the eviction callback runs, if a slow machine ran it only now.
        Assert.True(SpinWait.SpinUntil(() => IsZero(held), TimeSpan.FromSeconds(30)), "the material was not zeroed when its last lease ended");
        using KeyLease again = cache.Lease(keyId, 1, () => Material(ref unwraps));
        Assert.Equal(2, unwraps);
    }

    [Fact]
    public async Task FullCache_EvictedEntriesAreZeroed()
    {
        // Arrange: a cache of 4 entries
        using KeyMaterialCache cache = NewCache(4);
        int unwraps = 0;
        var leases = new List<KeyLease>();

        // Act: 40 keys, each used once and its lease ended
        for (int i = 0; i < 40; i++)
        {
            using KeyLease lease = cache.Lease(Guid.NewGuid(), 1, () => Material(ref unwraps));
            Assert.False(IsZero(lease), "a lease was handed zeroed material");
            leases.Add(lease);
        }

        // Assert: at most the 4 entries still cached keep their material; every other was zeroed on eviction
        // (MemoryCache runs eviction callbacks on the thread pool, so they are waited for, not assumed done).
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (leases.Count(l => !IsZero(l)) > cache.Count)
        {
            await Task.Delay(20, timeout.Token);
        }

        Assert.InRange(cache.Count, 1, 4);
        Assert.InRange(leases.Count(IsZero), 36, 39);
        // Each key was unwrapped once, or twice when a compaction evicted its new entry before its first lease.
        Assert.InRange(unwraps, 40, 80);
    }

    [Fact]
    public void EvictedWhileSigning_ParsedKeyIsDisposedAfterwards()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var generations = new CacheGenerations();
        using var cache = new KeyMaterialCache(KmsCacheSettings.Default with { KeyMaterial = 10 }, generations);
        ECDsa? parsed = null;
        KeyLease lease = cache.Lease(Guid.NewGuid(), 1, () => new KeyMaterial(ecdsa.ExportPkcs8PrivateKey()));

        byte[] signature = lease.WithParsed(span => (ECDsa)AsymmetricSigner.ParsePrivateKey(span, rsa: false), key =>
        {
            parsed = key;
            generations.Raise(CacheScopes.Keys, keysDeleted: true);   // the key is deleted while this request signs
            return key.SignHash(new byte[32]);
        });
        lease.Dispose();
        SpinWait.SpinUntil(() => IsDisposed(parsed!), TimeSpan.FromSeconds(5));

        Assert.Equal(64, signature.Length);
        Assert.True(IsDisposed(parsed!), "the parsed key of evicted material was not disposed");
    }

    [Fact]
    public void CacheOff_StillWorks_AndZeroesAfterEachUse()
    {
        using KeyMaterialCache cache = NewCache(0);
        int unwraps = 0;
        Guid keyId = Guid.NewGuid();
        KeyLease lease = cache.Lease(keyId, 1, () => Material(ref unwraps));
        Assert.NotEqual(new byte[32], lease.Span.ToArray());

        lease.Dispose();

        Assert.Equal(new byte[32], lease.Span.ToArray());
        using (cache.Lease(keyId, 1, () => Material(ref unwraps)))
        {
        }

        Assert.Equal(2, unwraps);
    }

    private static KeyMaterialCache NewCache(int entries) =>
        new(KmsCacheSettings.Default with { KeyMaterial = entries }, new CacheGenerations());

    private static KeyMaterial Material(ref int unwraps)
    {
        unwraps++;
        return KeyMaterial.TakeOwnership(RandomNumberGenerator.GetBytes(32));
    }

    private static bool IsZero(KeyLease lease) => !lease.Span.ContainsAnyExcept((byte)0);

    /// <summary>MemoryCache runs eviction callbacks on the thread pool.</summary>
    private static Task WaitForEvictionsAsync() => Task.Delay(200);

    private static bool IsDisposed(ECDsa key)
    {
        try
        {
            key.ExportParameters(false);
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }
}
