using System.Globalization;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace InfisicalKms.Core.Caching;

/// <summary>
/// Sees changes made by other processes sharing the database (another instance, the root-key command,
/// manual SQL), which <see cref="CacheInvalidator"/> cannot, and raises the generation of every scope they touch.
/// SQLite: every <see cref="KmsCacheSettings.PollInterval"/> it reads the change stamps that triggers raise in
/// the same transaction as each change (<see cref="Storage.Migrations.CacheStamps"/>). PostgreSQL: it listens on
/// a connection of its own for the notifications that triggers send as each change commits
/// (<see cref="Storage.Migrations.Postgres.Triggers"/>), so another instance's change is seen within milliseconds.
/// </summary>
/// <remarks>
/// <para>
/// A change committed elsewhere is therefore seen here within one interval plus one read of a four-row
/// table, whatever the age of the entries it makes stale; entries are never dropped for age alone, so a
/// project whose requests spread over many keys keeps them warm. Changes made through this process are seen
/// on the very next request by the invalidator; their stamps only repeat that news a moment later.
/// </para>
/// <para>
/// Fails closed: the first read, and every read that fails, raises every scope, so entries read before the
/// watcher knew the stamps, or while it could not read them, live at most one interval. A listening
/// connection is checked every interval when it has been quiet; once it fails, every scope is raised, and
/// raised again every interval until it listens again.
/// </para>
/// </remarks>
public sealed class CacheStampWatcher(
    IDbContextFactory<KmsDbContext> dbFactory, StorageLocation storage, CacheGenerations generations, KmsCacheSettings settings,
    TimeProvider clock, ILogger<CacheStampWatcher> logger) : BackgroundService
{
    /// <summary>The PostgreSQL notification channel the triggers send on.</summary>
    public const string Channel = "kms_cache";

    // The stamp row counting deletions that affect keys (the others are CacheScopes values).
    private const long KeysDeletedScope = 8;

    private Dictionary<long, long>? _stamps;

    /// <summary>Reads the stamps once and raises what moved since the last read; public for the tests.</summary>
    public async Task PollAsync(CancellationToken ct)
    {
        Dictionary<long, long> now;
        try
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            now = await db.Database.SqlQueryRaw<CacheStamp>("""SELECT "Scope", "Stamp" FROM "CacheStamps" """)
                .ToDictionaryAsync(s => s.Scope, s => s.Stamp, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning(e,
                "Could not read the cache change stamps; every cache entry is dropped until they can be read");
            _stamps = null;
            generations.Raise(CacheScopes.All, keysDeleted: true);
            return;
        }

        Dictionary<long, long>? before = _stamps;
        _stamps = now;
        if (before is null)
        {
            generations.Raise(CacheScopes.All, keysDeleted: true);
            return;
        }

        var scopes = CacheScopes.None;
        bool keysDeleted = false;
        foreach ((long scope, long stamp) in now.Where(s => before.GetValueOrDefault(s.Key) != s.Value))
        {
            if (scope == KeysDeletedScope)
            {
                keysDeleted = true;
            }
            else
            {
                scopes |= (CacheScopes)scope;
            }
        }

        if (scopes != CacheScopes.None || keysDeleted)
        {
            generations.Raise(scopes, keysDeleted);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (storage.IsPostgres)
        {
            await ListenAsync(stoppingToken);
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            await PollAsync(stoppingToken);
            await Task.Delay(settings.PollInterval, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(storage.ConnectionString);
                connection.Notification += (_, e) => OnNotification(e.Payload);
                await connection.OpenAsync(ct);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(ct);
                }

                // Entries read before LISTEN took effect may predate a change that was never heard of.
                generations.Raise(CacheScopes.All, keysDeleted: true);
                while (true)
                {
                    if (!await connection.WaitAsync(settings.PollInterval, ct))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(ct);   // a connection that died quietly fails here
                    }
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning(e, "Lost the cache notifications from PostgreSQL; every cache entry is dropped until they are heard again");
                generations.Raise(CacheScopes.All, keysDeleted: true);
            }

            await Task.Delay(settings.PollInterval, clock, ct).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private void OnNotification(string payload)
    {
        // The triggers send the scope bits; anything else (a hand-sent NOTIFY) raises everything.
        long bits = long.TryParse(payload, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed) ? parsed : (long)CacheScopes.All | KeysDeletedScope;
        generations.Raise((CacheScopes)(bits & (long)CacheScopes.All), keysDeleted: (bits & KeysDeletedScope) != 0);
    }

    private sealed record CacheStamp(long Scope, long Stamp);
}
