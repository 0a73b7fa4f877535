using System.Diagnostics.Metrics;

namespace InfisicalKms.Core.Caching;

/// <summary>Hits and misses of each in-memory cache of the process, read by the metrics (<c>cache.lookups</c> on the <c>InfisicalKms</c> meter).</summary>
/// <remarks>Counts only: no key, token hash or value of any entry is ever held here.</remarks>
public sealed class CacheStatistics
{
    /// <summary>The product's caches, listed from the start so that a scrape shows each of them, at zero before its first use.</summary>
    private readonly List<CacheCounter> _caches = [new("tokens"), new("roles"), new("keys"), new("key-material")];

    /// <summary>The counter of the cache called <paramref name="name"/> (<c>tokens</c>, <c>roles</c>, <c>keys</c>, <c>key-material</c>).</summary>
    public CacheCounter For(string name)
    {
        lock (_caches)
        {
            CacheCounter? counter = _caches.Find(c => c.Name == name);
            if (counter is null)
            {
                counter = new CacheCounter(name);
                _caches.Add(counter);
            }

            return counter;
        }
    }

    /// <summary>Two measurements per cache, tagged <c>cache</c> and <c>result</c> (<c>hit</c> or <c>miss</c>).</summary>
    public IEnumerable<Measurement<long>> Observe()
    {
        CacheCounter[] caches;
        lock (_caches)
        {
            caches = [.. _caches];
        }

        foreach (CacheCounter cache in caches)
        {
            yield return new Measurement<long>(cache.Hits, new("cache", cache.Name), new("result", "hit"));
            yield return new Measurement<long>(cache.Misses, new("cache", cache.Name), new("result", "miss"));
        }
    }
}

/// <summary>One cache's lookups, counted without a lock.</summary>
public sealed class CacheCounter(string name)
{
    private long _hits;
    private long _misses;

    public string Name { get; } = name;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public void Count(bool hit)
    {
        if (hit)
        {
            Interlocked.Increment(ref _hits);
        }
        else
        {
            Interlocked.Increment(ref _misses);
        }
    }
}
