using Xunit;
using TokenOps.Core.RateLimits;

namespace TokenOps.Core.Tests.RateLimits;

/// <summary>The in-process counters: fixed minute windows, all-or-nothing admission across scopes, corrections and releases once.</summary>
public sealed class InProcessRateLimitCountersTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 2, 12, 0, 45, 250, TimeSpan.Zero);
    private readonly InProcessRateLimitCounters _counters = new();
    private int _ids;

    private RateLimitDecision Ask(DateTimeOffset now, long tokens, params AppliedRateLimit[] limits) =>
        _counters.TryAcquireAsync(new RateLimitAsk("evt_" + Interlocked.Increment(ref _ids), now, tokens, limits)).AsTask().Result;

    // In process, both calls complete synchronously (no await, no allocation on the hot path).
    private void Release(RateLimitLease lease, long actualTokens) => Assert.True(_counters.ReleaseAsync(lease, actualTokens).IsCompletedSuccessfully);

    [Fact]
    public void Requests_per_minute_refuse_past_the_limit_until_the_window_ends_with_retry_after_rounded_up()
    {
        var limit = new AppliedRateLimit("person:ada", 2, null, null);
        Assert.True(Ask(At, 0, limit).Admitted);
        Assert.True(Ask(At.AddSeconds(5), 0, limit).Admitted);

        var refused = Ask(At.AddSeconds(6), 0, limit);

        Assert.False(refused.Admitted);
        // 12:00:51.250 -> the window ends at 12:01:00: 8.75 s, rounded up.
        Assert.Equal(new RateLimitRefusal("person:ada", RateLimitKind.RequestsPerMinute, 2, 9), refused.Refusal);
        Assert.True(Ask(new DateTimeOffset(2026, 3, 2, 12, 1, 0, TimeSpan.Zero), 0, limit).Admitted);
    }

    [Fact]
    public void Retry_after_is_at_least_one_second()
    {
        Assert.Equal(1, RateWindow.SecondsToEnd(new DateTimeOffset(2026, 3, 2, 12, 0, 59, 999, TimeSpan.Zero)));
        Assert.Equal(60, RateWindow.SecondsToEnd(new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Tokens_count_the_estimate_and_are_corrected_to_the_actual_count_once()
    {
        var limit = new AppliedRateLimit("team:core", null, 1000, null);
        var first = Ask(At, 600, limit).Lease!;
        Assert.Equal(RateLimitKind.TokensPerMinute, Ask(At, 600, limit).Refusal!.Kind);

        Release(first, 150);
        Release(first, 0); // a second release changes nothing

        Assert.Equal(150, _counters.Usage("team:core", At).Tokens);
        Assert.True(Ask(At, 600, limit).Admitted);
        Assert.Equal(750, _counters.Usage("team:core", At).Tokens);
    }

    [Fact]
    public void A_refusal_takes_nothing_from_any_scope()
    {
        var person = new AppliedRateLimit("person:bo", 10, null, 5);
        var team = new AppliedRateLimit("team:core", 1, null, null);
        Assert.True(Ask(At, 0, team).Admitted);

        var refused = Ask(At, 0, person, team);

        Assert.Equal("team:core", refused.Refusal!.Scope);
        Assert.Equal((0L, 0L, 0), _counters.Usage("person:bo", At));
        Assert.Equal(0, _counters.OpenLeases - 1);
    }

    [Fact]
    public void Concurrency_slots_are_held_until_released_once_and_refusals_retry_after_one_second()
    {
        var limit = new AppliedRateLimit("key:k1", null, null, 2);
        var a = Ask(At, 0, limit).Lease!;
        var b = Ask(At, 0, limit).Lease!;
        var refused = Ask(At, 0, limit).Refusal!;
        Assert.Equal((RateLimitKind.Concurrent, 2L, 1), (refused.Kind, refused.Limit, refused.RetryAfterSeconds));

        Release(a, 0);
        Release(a, 0); // released twice: frees one slot, not two

        Assert.True(Ask(At, 0, limit).Admitted);
        Assert.False(Ask(At, 0, limit).Admitted);
        Release(b, 0);
        Assert.Equal(1, _counters.Usage("key:k1", At).InFlight);
    }

    [Fact]
    public void Concurrent_askers_never_exceed_the_limits()
    {
        var limit = new AppliedRateLimit("team:busy", 50, null, null);
        var admitted = 0;
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            if (Ask(At, 0, limit).Admitted) Interlocked.Increment(ref admitted);
        });
        Assert.Equal(50, admitted);
    }

    [Fact]
    public void Windows_are_aligned_to_the_minute_before_the_epoch_too()
    {
        Assert.Equal(-1, RateWindow.Of(DateTimeOffset.FromUnixTimeMilliseconds(-1)));
        Assert.Equal(0, RateWindow.Of(DateTimeOffset.FromUnixTimeMilliseconds(59_999)));
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 12, 1, 0, TimeSpan.Zero), RateWindow.End(RateWindow.Of(At)));
    }
}
