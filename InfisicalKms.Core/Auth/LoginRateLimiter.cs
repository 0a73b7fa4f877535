using System.Collections.Concurrent;
using InfisicalKms.Core.Errors;

namespace InfisicalKms.Core.Auth;

/// <summary>
/// Failed Universal Auth logins per client IP over a sliding 60-second window (spec §1.10). While an
/// address has 20 or more failures in the window, every login from it is refused.
/// </summary>
/// <remarks>
/// <para>
/// The check and the count are one step: a login holds a place from <see cref="BeginAsync"/> until it has
/// succeeded or been counted as a failure, and a login may start only while the failures in the window plus
/// the logins still in flight are fewer than 20. A burst of concurrent wrong guesses therefore gets exactly
/// 20 tries; a login that finds every place taken waits for one to resolve rather than being refused, so
/// valid logins are refused only when 20 failures have really been counted.
/// </para>
/// <para>
/// Singleton, in memory, per process: a restart forgets the counts, which only ever lets a client in sooner.
/// The SQLite default; several instances on PostgreSQL count in the database instead (<see cref="SharedLoginRateLimiter"/>).
/// An address with nothing counted and nothing in flight is forgotten, so memory follows the active addresses.
/// </para>
/// </remarks>
public sealed class LoginRateLimiter(TimeProvider clock) : ILoginRateLimiter
{
    public const int MaxFailures = 20;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, Address> _addresses = new();

    /// <summary>
    /// Takes a place for one login from <paramref name="ip"/>, waiting while all places are held by logins in
    /// flight. Throws <see cref="KmsRateLimitException"/> when the address has 20 failures in the window.
    /// Dispose the attempt when the login is done; call <see cref="Attempt.Failed"/> first if it failed.
    /// </summary>
    public async ValueTask<Attempt> BeginAsync(string ip, CancellationToken ct)
    {
        while (true)
        {
            Address address = _addresses.GetOrAdd(ip, _ => new Address());
            Task wait;
            lock (address)
            {
                if (address.Forgotten)
                {
                    continue;   // removed by a concurrent release; take the new entry
                }

                DateTimeOffset now = Prune(address);
                if (address.Failures.Count >= MaxFailures)
                {
                    throw new KmsRateLimitException(RetryAfter(address, now));
                }

                if (address.Failures.Count + address.InFlight < MaxFailures)
                {
                    address.InFlight++;
                    return new Attempt(this, ip, address);
                }

                address.Resolved ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = address.Resolved.Task;
            }

            await wait.WaitAsync(ct);
        }
    }

    async ValueTask<ILoginAttempt> ILoginRateLimiter.BeginAsync(string ip, CancellationToken ct) => await BeginAsync(ip, ct);

    /// <summary>Seconds (rounded up) until the address may try again, or null when it may try now.</summary>
    public int? RetryAfterSeconds(string ip)
    {
        if (!_addresses.TryGetValue(ip, out Address? address))
        {
            return null;
        }

        lock (address)
        {
            DateTimeOffset now = Prune(address);
            return address.Failures.Count < MaxFailures ? null : RetryAfter(address, now);
        }
    }

    private void Release(string ip, Address address, bool failed)
    {
        lock (address)
        {
            address.InFlight--;
            if (failed)
            {
                Prune(address);
                address.Failures.Enqueue(clock.GetUtcNow());
            }

            address.Resolved?.SetResult();
            address.Resolved = null;
            if (address.InFlight == 0 && address.Failures.Count == 0)
            {
                address.Forgotten = true;
                _addresses.TryRemove(new KeyValuePair<string, Address>(ip, address));
            }
        }
    }

    private static int RetryAfter(Address address, DateTimeOffset now) => RetryAfterSeconds([.. address.Failures], now);

    /// <summary>
    /// Seconds (rounded up, at least 1) until <paramref name="failures"/>, oldest first and at least
    /// <see cref="MaxFailures"/> of them, fall below the limit: when the (count - limit + 1)-th oldest leaves the window.
    /// </summary>
    internal static int RetryAfterSeconds(IReadOnlyList<DateTimeOffset> failures, DateTimeOffset now)
    {
        DateTimeOffset leaves = failures[failures.Count - MaxFailures] + Window;
        return Math.Max(1, (int)Math.Ceiling((leaves - now).TotalSeconds));
    }

    private DateTimeOffset Prune(Address address)
    {
        DateTimeOffset now = clock.GetUtcNow();
        while (address.Failures.Count > 0 && address.Failures.Peek() + Window <= now)
        {
            address.Failures.Dequeue();
        }

        return now;
    }

    /// <summary>One login's place in its address's count.</summary>
    public sealed class Attempt : IDisposable, ILoginAttempt
    {
        private readonly LoginRateLimiter _limiter;
        private readonly string _ip;
        private readonly Address _address;
        private bool _failed;
        private bool _released;

        internal Attempt(LoginRateLimiter limiter, string ip, Address address)
        {
            _limiter = limiter;
            _ip = ip;
            _address = address;
        }

        /// <summary>Counts this login as a failure when it is disposed.</summary>
        public void Failed() => _failed = true;

        public void Dispose()
        {
            if (!_released)
            {
                _released = true;
                _limiter.Release(_ip, _address, _failed);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }

    internal sealed class Address
    {
        public Queue<DateTimeOffset> Failures { get; } = new();

        public int InFlight { get; set; }

        public TaskCompletionSource? Resolved { get; set; }

        public bool Forgotten { get; set; }
    }
}
