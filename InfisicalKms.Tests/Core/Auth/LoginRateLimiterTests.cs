using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Errors;
using Microsoft.Extensions.Time.Testing;

namespace InfisicalKms.Tests.Core.Auth;

public sealed class LoginRateLimiterTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task BeginAsync_NineteenFailures_StillAllowed()
    {
        var limiter = new LoginRateLimiter(_clock);
        await FailAsync(limiter, "10.0.0.1", 19);

        using LoginRateLimiter.Attempt attempt = await limiter.BeginAsync("10.0.0.1", CancellationToken.None);
        Assert.Null(limiter.RetryAfterSeconds("10.0.0.1"));
    }

    [Fact]
    public async Task BeginAsync_TwentyFailures_RefusedUntilOldestLeavesWindow()
    {
        var limiter = new LoginRateLimiter(_clock);
        await FailAsync(limiter, "10.0.0.1", 1);
        _clock.Advance(TimeSpan.FromSeconds(10));
        await FailAsync(limiter, "10.0.0.1", 19);

        KmsRateLimitException refused = await Assert.ThrowsAsync<KmsRateLimitException>(() => limiter.BeginAsync("10.0.0.1", CancellationToken.None).AsTask());
        Assert.Equal(50, refused.RetryAfterSeconds);
        _clock.Advance(TimeSpan.FromSeconds(49.5));
        Assert.Equal(1, limiter.RetryAfterSeconds("10.0.0.1"));
        _clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Null(limiter.RetryAfterSeconds("10.0.0.1"));
        (await limiter.BeginAsync("10.0.0.1", CancellationToken.None)).Dispose();
    }

    [Fact]
    public async Task BeginAsync_OtherAddress_NotAffected()
    {
        var limiter = new LoginRateLimiter(_clock);
        await FailAsync(limiter, "10.0.0.1", 20);

        Assert.NotNull(limiter.RetryAfterSeconds("10.0.0.1"));
        (await limiter.BeginAsync("10.0.0.2", CancellationToken.None)).Dispose();
        Assert.Null(limiter.RetryAfterSeconds("10.0.0.2"));
    }

    [Fact]
    public async Task BeginAsync_SixtyConcurrentWrongGuesses_ExactlyTwentyAreTried()
    {
        // The probe's burst: 60 failed logins at once let 21 through when the check and the count were apart.
        var limiter = new LoginRateLimiter(_clock);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int tried = 0;

        Task<bool>[] logins = Enumerable.Range(0, 60).Select(_ => Task.Run(async () =>
        {
            try
            {
                using LoginRateLimiter.Attempt attempt = await limiter.BeginAsync("10.0.0.9", CancellationToken.None);
                Interlocked.Increment(ref tried);
                await release.Task;   // every login is in flight before any resolves
                attempt.Failed();
                return true;
            }
            catch (KmsRateLimitException)
            {
                return false;
            }
        })).ToArray();
        await WaitUntilAsync(() => Volatile.Read(ref tried) == LoginRateLimiter.MaxFailures);
        release.SetResult();
        bool[] outcomes = await Task.WhenAll(logins);

        Assert.Equal(LoginRateLimiter.MaxFailures, outcomes.Count(o => o));
        Assert.Equal(60 - LoginRateLimiter.MaxFailures, outcomes.Count(o => !o));
        Assert.Equal(LoginRateLimiter.MaxFailures, tried);
    }

    [Fact]
    public async Task BeginAsync_AllPlacesInFlight_WaitsAndProceedsWhenOneSucceeds()
    {
        var limiter = new LoginRateLimiter(_clock);
        await FailAsync(limiter, "10.0.0.3", 19);
        LoginRateLimiter.Attempt inFlight = await limiter.BeginAsync("10.0.0.3", CancellationToken.None);

        Task<LoginRateLimiter.Attempt> waiting = limiter.BeginAsync("10.0.0.3", CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);   // 19 failures + 1 in flight: the 20th place is taken
        inFlight.Dispose();                   // succeeded: not counted

        using LoginRateLimiter.Attempt next = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Null(limiter.RetryAfterSeconds("10.0.0.3"));
    }

    [Fact]
    public async Task BeginAsync_AllPlacesInFlight_RefusedWhenTheLastOneFails()
    {
        var limiter = new LoginRateLimiter(_clock);
        await FailAsync(limiter, "10.0.0.4", 19);
        LoginRateLimiter.Attempt inFlight = await limiter.BeginAsync("10.0.0.4", CancellationToken.None);

        Task<LoginRateLimiter.Attempt> waiting = limiter.BeginAsync("10.0.0.4", CancellationToken.None).AsTask();
        inFlight.Failed();
        inFlight.Dispose();

        await Assert.ThrowsAsync<KmsRateLimitException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Dispose_Twice_CountsTheFailureOnce()
    {
        var limiter = new LoginRateLimiter(_clock);
        await FailAsync(limiter, "10.0.0.5", 19);
        LoginRateLimiter.Attempt attempt = await limiter.BeginAsync("10.0.0.5", CancellationToken.None);
        attempt.Failed();
        attempt.Dispose();
        attempt.Dispose();

        Assert.NotNull(limiter.RetryAfterSeconds("10.0.0.5"));
        _clock.Advance(LoginRateLimiter.Window);
        Assert.Null(limiter.RetryAfterSeconds("10.0.0.5"));
    }

    private static async Task FailAsync(LoginRateLimiter limiter, string ip, int times)
    {
        for (int i = 0; i < times; i++)
        {
            using LoginRateLimiter.Attempt attempt = await limiter.BeginAsync(ip, CancellationToken.None);
            attempt.Failed();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
