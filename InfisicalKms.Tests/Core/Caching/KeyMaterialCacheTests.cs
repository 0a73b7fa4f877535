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
        Assert.True(held.Span.ToArray().All(b => b == 0), "the material was not zeroed when its last lease ended");
        using KeyLease again = cache.Lease(keyId, 1, () => Material(ref unwraps));
        Assert.Equal(2, unwraps);
    }

    [Fact]
    public async Task FullCache_EvictedEntriesAreZeroed()
    {
        using KeyMaterialCache cache = NewCache(4);
        int unwraps = 0;
        var leases = new List<(Guid KeyId, byte[] Bytes)>();
        for (int i = 0; i < 40; i++)
        {
            Guid keyId = Guid.NewGuid();
            using KeyLease lease = cache.Lease(keyId, 1, () => Material(ref unwraps));
            leases.Add((keyId, lease.Span.ToArray()));
        }

        await WaitForEvictionsAsync();

        Assert.InRange(cache.Count, 1, 4);
        Assert.Equal(40, unwraps);
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
