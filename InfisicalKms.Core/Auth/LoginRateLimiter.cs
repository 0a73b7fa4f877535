using System.Collections.Concurrent;

namespace InfisicalKms.Core.Auth;

/// <summary>
/// Failed Universal Auth logins per client IP over a sliding 60-second window (spec §1.10). While an
/// address has 20 or more failures in the window, every login from it is refused.
/// </summary>
/// <remarks>Singleton, in memory: a restart forgets the counts, which only ever lets a client in sooner.</remarks>
public sealed class LoginRateLimiter(TimeProvider clock)
{
    public const int MaxFailures = 20;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new();

    /// <summary>Seconds (rounded up) until the address may try again, or null when it may try now.</summary>
    public int? RetryAfterSeconds(string ip)
    {
        if (!_failures.TryGetValue(ip, out Queue<DateTimeOffset>? queue))
        {
            return null;
        }

        lock (queue)
        {
            DateTimeOffset now = Prune(queue);
            if (queue.Count < MaxFailures)
            {
                return null;
            }

            // The count drops below the limit when the (count - limit + 1)-th oldest failure leaves the window.
            DateTimeOffset leaves = queue.ElementAt(queue.Count - MaxFailures) + Window;
            return Math.Max(1, (int)Math.Ceiling((leaves - now).TotalSeconds));
        }
    }

    public void RecordFailure(string ip)
    {
        Queue<DateTimeOffset> queue = _failures.GetOrAdd(ip, _ => new Queue<DateTimeOffset>());
        lock (queue)
        {
            Prune(queue);
            queue.Enqueue(clock.GetUtcNow());
        }
    }

    private DateTimeOffset Prune(Queue<DateTimeOffset> queue)
    {
        DateTimeOffset now = clock.GetUtcNow();
        while (queue.Count > 0 && queue.Peek() + Window <= now)
        {
            queue.Dequeue();
        }

        return now;
    }
}
