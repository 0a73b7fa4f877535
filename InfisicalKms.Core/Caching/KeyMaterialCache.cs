using System.Collections.Concurrent;
using System.Security.Cryptography;
using InfisicalKms.Core.Crypto;
using Microsoft.Extensions.Caching.Memory;

namespace InfisicalKms.Core.Caching;

/// <summary>
/// Unwrapped key material by key and version, and the RSA and EC key objects parsed from it, so that a
/// warm operation neither unwraps nor parses. A version's material never changes, so entries are never
/// stale; they leave when the cache is full, or all at once when keys are deleted.
/// </summary>
/// <remarks>
/// An entry that leaves is zeroed and its parsed keys disposed as soon as the last request using it is
/// done (<see cref="CachedKeyMaterial"/> counts its leases). The material sits in a pinned array, so the
/// garbage collector never leaves copies of it behind.
/// </remarks>
public sealed class KeyMaterialCache : IDisposable
{
    private readonly MemoryCache? _entries;
    private readonly CacheCounter? _lookups;

    /// <param name="statistics">Where hits and misses are counted (a miss is an unwrap); none in unit tests.</param>
    public KeyMaterialCache(KmsCacheSettings settings, CacheGenerations generations, CacheStatistics? statistics = null)
    {
        _lookups = statistics?.For("key-material");
        if (settings.KeyMaterial > 0)
        {
            _entries = new MemoryCache(new MemoryCacheOptions { SizeLimit = settings.KeyMaterial, CompactionPercentage = 0.1 });
            generations.KeysDeleted += () => _entries.Clear();
        }
    }

    public int Count => _entries?.Count ?? 0;

    /// <summary>A lease on material already in the cache, or null: no unwrapping, no database.</summary>
    /// <remarks>Counts a hit when it finds one; on null the caller goes on to <see cref="Lease"/>, which counts the miss.</remarks>
    public KeyLease? TryLease(Guid keyId, int version)
    {
        KeyLease? lease = _entries is not null && _entries.TryGetValue((keyId, version), out CachedKeyMaterial? cached) && cached is not null
            ? cached.TryLease()
            : null;
        if (lease is not null)
        {
            _lookups?.Count(hit: true);
        }

        return lease;
    }

    /// <summary>A lease on the material of <paramref name="keyId"/> v<paramref name="version"/>, unwrapping it with <paramref name="unwrap"/> on a miss.</summary>
    /// <param name="unwrap">The material; the cache copies it into pinned memory and disposes it (zeroing it).</param>
    public KeyLease Lease(Guid keyId, int version, Func<KeyMaterial> unwrap)
    {
        if (_entries is null)
        {
            _lookups?.Count(hit: false);
            var single = CachedKeyMaterial.From(unwrap());
            KeyLease lease = single.TryLease()!.Value;
            single.Evict();   // destroyed when this lease ends
            return lease;
        }

        bool unwrapped = false;
        while (true)
        {
            if (!_entries.TryGetValue((keyId, version), out CachedKeyMaterial? cached) || cached is null)
            {
                unwrapped = true;
                cached = CachedKeyMaterial.From(unwrap());
                var options = new MemoryCacheEntryOptions { Size = 1 };
                options.RegisterPostEvictionCallback(static (_, value, _, _) => ((CachedKeyMaterial)value!).Evict());
                _entries.Set((keyId, version), cached, options);
                if (!_entries.TryGetValue((keyId, version), out CachedKeyMaterial? stored) || !ReferenceEquals(stored, cached))
                {
                    // Not kept (the cache is full): this request uses it, then it is zeroed. A compaction may
                    // have evicted it already, between the set and the look; then unwrap again.
                    if (cached.TryLease() is { } once)
                    {
                        cached.Evict();
                        _lookups?.Count(hit: false);
                        return once;
                    }

                    continue;
                }
            }

            if (cached.TryLease() is { } lease)
            {
                _lookups?.Count(hit: !unwrapped);
                return lease;
            }

            // Evicted between the lookup and the lease: look again.
        }
    }

    public void Dispose() => _entries?.Dispose();
}

/// <summary>One version's material, pinned and zeroed when it leaves the cache and no request holds it.</summary>
public sealed class CachedKeyMaterial
{
    private readonly byte[] _bytes;
    private readonly ConcurrentBag<AsymmetricAlgorithm> _parsed = [];
    private readonly Lock _lock = new();
    private int _leases;
    private bool _evicted;
    private bool _destroyed;

    private CachedKeyMaterial(ReadOnlySpan<byte> bytes)
    {
        _bytes = GC.AllocateUninitializedArray<byte>(bytes.Length, pinned: true);
        bytes.CopyTo(_bytes);
    }

    /// <summary>Copies <paramref name="material"/> into pinned memory and disposes it.</summary>
    public static CachedKeyMaterial From(KeyMaterial material)
    {
        using (material)
        {
            return new CachedKeyMaterial(material.Span);
        }
    }

    /// <summary>True once the material has been zeroed and its parsed keys disposed.</summary>
    public bool IsDestroyed
    {
        get
        {
            lock (_lock)
            {
                return _destroyed;
            }
        }
    }

    internal ReadOnlySpan<byte> Span => _bytes;

    internal KeyLease? TryLease()
    {
        lock (_lock)
        {
            if (_evicted)
            {
                return null;
            }

            _leases++;
            return new KeyLease(this);
        }
    }

    internal void Release()
    {
        lock (_lock)
        {
            if (--_leases == 0 && _evicted)
            {
                Destroy();
            }
        }
    }

    internal void Evict()
    {
        lock (_lock)
        {
            _evicted = true;
            if (_leases == 0)
            {
                Destroy();
            }
        }
    }

    /// <summary>A parsed key from the pool, or a new one; give it back with <see cref="Return"/>.</summary>
    /// <remarks>Key objects are not safe for concurrent use, so each request borrows its own.</remarks>
    internal T Rent<T>(Func<ReadOnlySpan<byte>, T> parse)
        where T : AsymmetricAlgorithm =>
        _parsed.TryTake(out AsymmetricAlgorithm? key) ? (T)key : parse(_bytes);

    internal void Return(AsymmetricAlgorithm key)
    {
        lock (_lock)
        {
            if (!_destroyed && _parsed.Count < Environment.ProcessorCount * 2)
            {
                _parsed.Add(key);
                return;
            }
        }

        key.Dispose();
    }

    private void Destroy()
    {
        _destroyed = true;
        CryptographicOperations.ZeroMemory(_bytes);
        while (_parsed.TryTake(out AsymmetricAlgorithm? key))
        {
            key.Dispose();
        }
    }
}

/// <summary>The use of one version's material for one request: dispose it when the operation is done.</summary>
public readonly struct KeyLease(CachedKeyMaterial material) : IDisposable
{
    public ReadOnlySpan<byte> Span => material.Span;

    /// <summary>Runs <paramref name="use"/> with a parsed key of this material (RSA or EC, PKCS#8).</summary>
    public TResult WithParsed<TKey, TResult>(Func<ReadOnlySpan<byte>, TKey> parse, Func<TKey, TResult> use)
        where TKey : AsymmetricAlgorithm
    {
        TKey key = material.Rent(parse);
        try
        {
            return use(key);
        }
        finally
        {
            material.Return(key);
        }
    }

    public void Dispose() => material.Release();
}
