using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Auth;

/// <summary>One login in progress, holding its place in its address's count until disposed.</summary>
public interface ILoginAttempt : IAsyncDisposable
{
    /// <summary>Counts this login as a failure when it is disposed.</summary>
    void Failed();
}

/// <summary>The Universal Auth login limit (spec §1.10): 20 failures per address per sliding 60 seconds.</summary>
public interface ILoginRateLimiter
{
    /// <summary>Takes a place for one login from <paramref name="ip"/>; throws <see cref="KmsRateLimitException"/> over the limit.</summary>
    ValueTask<ILoginAttempt> BeginAsync(string ip, CancellationToken ct);
}

/// <summary>A login's row in the shared count: pending while the login runs, a failure once it failed.</summary>
public sealed class LoginAttemptRecord
{
    public long Id { get; set; }

    public required string Client { get; set; }

    public DateTime At { get; set; }

    public bool Pending { get; set; }
}

/// <summary>
/// <see cref="LoginRateLimiter"/>'s rule counted in the database, for several instances on PostgreSQL: a
/// client's failures on every instance count against the same 20.
/// </summary>
/// <remarks>
/// <para>
/// Each login inserts a pending row under the client's advisory lock, and only while the client's failures
/// plus pending logins in the window are fewer than 20; the row becomes a failure or is deleted when the
/// login ends. A burst of wrong guesses spread over several instances therefore still gets exactly 20 tries,
/// and a valid login that finds every place taken by logins in flight waits for one to end rather than being
/// refused. A pending row left by an instance that died counts like a failure until it leaves the window.
/// </para>
/// <para>Rows older than the window are deleted by the next login from the same client.</para>
/// <para>
/// A login waiting for a place is woken when a login of its address ends on this instance, and looks again
/// every <see cref="PlaceWait"/> for places freed elsewhere: a burst of waiters does not poll the database
/// while the logins ahead of them are still trying to finish.
/// </para>
/// </remarks>
public sealed class SharedLoginRateLimiter(IDbContextFactory<KmsDbContext> dbFactory, TimeProvider clock) : ILoginRateLimiter
{
    private static readonly TimeSpan PlaceWait = TimeSpan.FromMilliseconds(250);

    private readonly IDbContextFactory<KmsDbContext> _dbFactory = dbFactory;
    private readonly TimeProvider _clock = clock;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _placeFreed = new();

    public async ValueTask<ILoginAttempt> BeginAsync(string ip, CancellationToken ct)
    {
        while (true)
        {
            await using KmsDbContext db = await _dbFactory.CreateDbContextAsync(ct);
            await using (var transaction = await db.Database.BeginTransactionAsync(ct))
            {
                await db.Database.LockAsync(LockScope.LoginFailures, ClientLockId(ip), ct);
                DateTime now = _clock.GetUtcNow().UtcDateTime;
                DateTime windowStart = now - LoginRateLimiter.Window;
                await db.LoginAttempts.Where(a => a.Client == ip && a.At <= windowStart).ExecuteDeleteAsync(ct);
                List<LoginAttemptRecord> inWindow = await db.LoginAttempts.AsNoTracking()
                    .Where(a => a.Client == ip).OrderBy(a => a.At).ToListAsync(ct);
                List<DateTimeOffset> failures = [.. inWindow.Where(a => !a.Pending).Select(a => new DateTimeOffset(a.At, TimeSpan.Zero))];
                if (failures.Count >= LoginRateLimiter.MaxFailures)
                {
                    throw new KmsRateLimitException(LoginRateLimiter.RetryAfterSeconds(failures, new DateTimeOffset(now, TimeSpan.Zero)));
                }

                if (inWindow.Count < LoginRateLimiter.MaxFailures)
                {
                    var place = new LoginAttemptRecord { Client = ip, At = now, Pending = true };
                    db.LoginAttempts.Add(place);
                    await db.SaveChangesAsync(ct);
                    await transaction.CommitAsync(ct);
                    return new Attempt(this, ip, place.Id);
                }
            }

            // Every place is held by a login in flight somewhere. Real time, not the clock's.
            Task freedHere = _placeFreed.GetOrAdd(ip, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            await Task.WhenAny(freedHere, Task.Delay(PlaceWait, ct));
            ct.ThrowIfCancellationRequested();
        }
    }

    // Addresses hash onto lock ids; two that collide only wait for each other.
    private static Guid ClientLockId(string ip) =>
        new(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ip)).AsSpan(0, 16));

    private void PlaceFreed(string ip)
    {
        if (_placeFreed.TryRemove(ip, out TaskCompletionSource? freed))
        {
            freed.TrySetResult();
        }
    }

    private sealed class Attempt(SharedLoginRateLimiter limiter, string ip, long id) : ILoginAttempt
    {
        private bool _failed;
        private bool _released;

        public void Failed() => _failed = true;

        public async ValueTask DisposeAsync()
        {
            if (_released)
            {
                return;
            }

            _released = true;
            await using KmsDbContext db = await limiter._dbFactory.CreateDbContextAsync(CancellationToken.None);
            IQueryable<LoginAttemptRecord> row = db.LoginAttempts.Where(a => a.Id == id);
            if (_failed)
            {
                DateTime now = limiter._clock.GetUtcNow().UtcDateTime;
                await row.ExecuteUpdateAsync(u => u.SetProperty(a => a.Pending, false).SetProperty(a => a.At, now), CancellationToken.None);
            }
            else
            {
                await row.ExecuteDeleteAsync(CancellationToken.None);
            }

            limiter.PlaceFreed(ip);
        }
    }
}
