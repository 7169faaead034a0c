using TokenOps.Core.RateLimits;

namespace TokenOps.Storage.Tests.RateLimits;

/// <summary>
/// What every <see cref="IRateLimitCounters"/> must do, written once (in process and Redis): fixed minute windows with
/// Retry-After to the window's end, all-or-nothing admission across scopes, tokens corrected to the actual count once,
/// concurrency slots freed once, no over-admission under concurrency. Each test uses its own scopes.
/// </summary>
public abstract class RateLimitCountersSpec
{
    protected static readonly DateTimeOffset At = new(2026, 3, 2, 12, 0, 45, 250, TimeSpan.Zero);

    protected abstract IRateLimitCounters Counters { get; }

    private static string Scope(string level) => $"{level}:{Guid.NewGuid():N}";

    private Task<RateLimitDecision> Ask(DateTimeOffset now, long tokens, params AppliedRateLimit[] limits) =>
        Counters.TryAcquireAsync(new RateLimitAsk("evt_" + Guid.NewGuid().ToString("N"), now, tokens, limits)).AsTask();

    [Fact]
    public virtual async Task Requests_per_minute_refuse_until_the_window_ends()
    {
        var limit = new AppliedRateLimit(Scope("person"), 2, null, null);
        Assert.True((await Ask(At, 0, limit)).Admitted);
        Assert.True((await Ask(At.AddSeconds(5), 0, limit)).Admitted);

        var refused = await Ask(At.AddSeconds(6), 0, limit);

        Assert.Equal(new RateLimitRefusal(limit.Scope, RateLimitKind.RequestsPerMinute, 2, 9), refused.Refusal);
        Assert.True((await Ask(new DateTimeOffset(2026, 3, 2, 12, 1, 0, TimeSpan.Zero), 0, limit)).Admitted);
    }

    [Fact]
    public virtual async Task Tokens_count_the_estimate_then_the_actual_count_once()
    {
        var limit = new AppliedRateLimit(Scope("team"), null, 1000, null);
        var first = (await Ask(At, 600, limit)).Lease!;
        Assert.Equal(RateLimitKind.TokensPerMinute, (await Ask(At, 600, limit)).Refusal!.Kind);

        await Counters.ReleaseAsync(first, 150);
        await Counters.ReleaseAsync(first, 0); // a second release changes nothing

        Assert.True((await Ask(At, 850, limit)).Admitted); // 150 + 850
        Assert.False((await Ask(At, 1, limit)).Admitted);
    }

    [Fact]
    public virtual async Task A_refusal_takes_nothing_from_any_scope()
    {
        var person = new AppliedRateLimit(Scope("person"), 1, null, 1);
        var team = new AppliedRateLimit(Scope("team"), 1, null, null);
        Assert.True((await Ask(At, 0, team)).Admitted);

        Assert.Equal(team.Scope, (await Ask(At, 0, person, team)).Refusal!.Scope);

        // Neither the person's request nor its concurrency slot was taken.
        Assert.True((await Ask(At, 0, person)).Admitted);
    }

    [Fact]
    public virtual async Task Concurrency_slots_are_held_until_released_once()
    {
        var limit = new AppliedRateLimit(Scope("key"), null, null, 2);
        var a = (await Ask(At, 0, limit)).Lease!;
        Assert.True((await Ask(At, 0, limit)).Admitted);
        var refused = (await Ask(At, 0, limit)).Refusal!;
        Assert.Equal((RateLimitKind.Concurrent, 2L, 1), (refused.Kind, refused.Limit, refused.RetryAfterSeconds));

        await Counters.ReleaseAsync(a, 0);
        await Counters.ReleaseAsync(a, 0);

        Assert.True((await Ask(At, 0, limit)).Admitted);
        Assert.False((await Ask(At, 0, limit)).Admitted);
    }

    [Fact]
    public virtual async Task Concurrent_askers_never_exceed_the_limit()
    {
        var limit = new AppliedRateLimit(Scope("team"), 50, null, null);
        var decisions = await Task.WhenAll(Enumerable.Range(0, 300).Select(_ => Task.Run(() => Ask(At, 0, limit))));
        Assert.Equal(50, decisions.Count(d => d.Admitted));
    }
}

/// <summary>The spec on the in-process counters.</summary>
public sealed class InProcessRateLimitCountersSpecTests : RateLimitCountersSpec
{
    protected override IRateLimitCounters Counters { get; } = new InProcessRateLimitCounters();
}
