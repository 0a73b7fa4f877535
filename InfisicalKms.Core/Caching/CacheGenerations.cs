namespace InfisicalKms.Core.Caching;

/// <summary>What a stored change can make stale: the in-memory caches are grouped by the tables they read.</summary>
[Flags]
public enum CacheScopes
{
    None = 0,

    /// <summary>Access tokens, their identities and Universal Auth settings (trusted IPs); KMIP clients.</summary>
    Tokens = 1,

    /// <summary>Callers' roles in projects.</summary>
    Roles = 2,

    /// <summary>Key metadata and versions.</summary>
    Keys = 4,

    All = Tokens | Roles | Keys,
}

/// <summary>
/// One counter per <see cref="CacheScopes"/> value, raised by <see cref="CacheInvalidator"/> around every
/// stored change. A cache entry remembers the counter it was read under and is used only while the
/// counter is unchanged, so a change takes effect on the very next request, with no grace window.
/// </summary>
/// <remarks>
/// The counter is read before the database, and raised both before a change is written and after it is
/// committed: an entry read from the old rows while the change was in flight carries an older counter.
/// </remarks>
public sealed class CacheGenerations
{
    private readonly long[] _counters = new long[3];

    /// <summary>Raised after a change that deleted keys, projects or organizations, so that cached key
    /// material of keys that are gone is zeroed now rather than when it would have been evicted.</summary>
    public event Action? KeysDeleted;

    public long Current(CacheScopes scope) => Volatile.Read(ref _counters[Index(scope)]);

    public void Raise(CacheScopes scopes, bool keysDeleted = false)
    {
        for (int i = 0; i < _counters.Length; i++)
        {
            if (((int)scopes & (1 << i)) != 0)
            {
                Interlocked.Increment(ref _counters[i]);
            }
        }

        if (keysDeleted)
        {
            KeysDeleted?.Invoke();
        }
    }

    private static int Index(CacheScopes scope) => scope switch
    {
        CacheScopes.Tokens => 0,
        CacheScopes.Roles => 1,
        CacheScopes.Keys => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, "one scope"),
    };
}
