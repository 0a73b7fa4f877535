using InfisicalKms.Core.Auth;
using Microsoft.Extensions.Time.Testing;

namespace InfisicalKms.Tests.Core.Auth;

public sealed class LoginRateLimiterTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void RetryAfterSeconds_NineteenFailures_StillAllowed()
    {
        var limiter = new LoginRateLimiter(_clock);
        Fail(limiter, "10.0.0.1", 19);
        Assert.Null(limiter.RetryAfterSeconds("10.0.0.1"));
    }

    [Fact]
    public void RetryAfterSeconds_TwentyFailures_BlocksUntilOldestLeavesWindow()
    {
        var limiter = new LoginRateLimiter(_clock);
        Fail(limiter, "10.0.0.1", 1);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Fail(limiter, "10.0.0.1", 19);

        Assert.Equal(50, limiter.RetryAfterSeconds("10.0.0.1"));
        _clock.Advance(TimeSpan.FromSeconds(49.5));
        Assert.Equal(1, limiter.RetryAfterSeconds("10.0.0.1"));
        _clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Null(limiter.RetryAfterSeconds("10.0.0.1"));
    }

    [Fact]
    public void RetryAfterSeconds_OtherAddress_NotAffected()
    {
        var limiter = new LoginRateLimiter(_clock);
        Fail(limiter, "10.0.0.1", 25);
        Assert.NotNull(limiter.RetryAfterSeconds("10.0.0.1"));
        Assert.Null(limiter.RetryAfterSeconds("10.0.0.2"));
    }

    private static void Fail(LoginRateLimiter limiter, string ip, int times)
    {
        for (int i = 0; i < times; i++)
        {
            limiter.RecordFailure(ip);
        }
    }
}
