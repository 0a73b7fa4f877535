using Microsoft.Extensions.Caching.Memory;

namespace InfisicalKms.Core.Caching;

/// <summary>
/// A bounded map of rows read from the database, each used only while the generation of its
/// <see cref="CacheScopes"/> is the one it was read under (see <see cref="CacheGenerations"/>).
/// </summary>
/// <remarks>Holds no secrets: token entries are keyed by the token's hash. Nothing here logs.</remarks>
public sealed class GenerationalCache<TKey, TValue> : IDisposable
    where TKey : notnull
{
    private readonly CacheGenerations _generations;
    private readonly CacheScopes _scope;
    private readonly MemoryCache? _entries;
    private readonly CacheCounter? _lookups;

    /// <remarks>Entries do not expire by age: changes made by other processes raise the generation through <see cref="CacheStampWatcher"/>.</remarks>
    public GenerationalCache(CacheGenerations generations, CacheScopes scope, int limit, CacheCounter? lookups = null)
    {
        _generations = generations;
        _scope = scope;
        _lookups = lookups;
        _entries = limit == 0 ? null : new MemoryCache(new MemoryCacheOptions { SizeLimit = limit, CompactionPercentage = 0.1 });
    }

    public int Count => _entries?.Count ?? 0;

    /// <summary>The generation to store a row under: read it before reading the row.</summary>
    public long Generation => _generations.Current(_scope);

    public bool TryGet(TKey key, out TValue value)
    {
        if (_entries is not null && _entries.TryGetValue(key, out Entry? entry) && entry is not null)
        {
            if (entry.Generation == _generations.Current(_scope))
            {
                _lookups?.Count(hit: true);
                value = entry.Value;
                return true;
            }

            _entries.Remove(key);
        }

        _lookups?.Count(hit: false);
        value = default!;
        return false;
    }

    /// <summary>Keeps <paramref name="value"/> unless its scope changed since <paramref name="generation"/>.</summary>
    public void Set(TKey key, TValue value, long generation)
    {
        if (_entries is not null && generation == _generations.Current(_scope))
        {
            _entries.Set(key, new Entry(value, generation), new MemoryCacheEntryOptions { Size = 1 });
        }
    }

    public void Dispose() => _entries?.Dispose();

    private sealed record Entry(TValue Value, long Generation);
}
