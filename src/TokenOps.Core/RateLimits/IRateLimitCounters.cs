namespace TokenOps.Core.RateLimits;

/// <summary>
/// Rate-limit counters: one atomic check-and-take per request over all its limits, and one release when it ends.
/// The in-process implementation serves one gateway; a shared one (Redis: one Lua script per call, the caller's time
/// passed in) serves a fleet with the same semantics:
/// <list type="bullet">
/// <item>requests and tokens count in fixed one-minute windows (<see cref="RateWindow"/>) keyed by scope and window;</item>
/// <item>a request is admitted only if every limit admits it, and then counts against all of them; a refused request
/// takes nothing;</item>
/// <item>concurrency slots are keyed by the lease id, so a second release frees nothing.</item>
/// </list>
/// </summary>
public interface IRateLimitCounters
{
    /// <summary>Admits the request against every limit in <paramref name="ask"/> at once, or names the first that refuses.</summary>
    ValueTask<RateLimitDecision> TryAcquireAsync(RateLimitAsk ask, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends a lease: moves its token count in its window from the estimate to <paramref name="actualTokens"/> and frees
    /// its concurrency slots. Idempotent per lease id; must not throw for a lease already released.
    /// </summary>
    ValueTask ReleaseAsync(RateLimitLease lease, long actualTokens);
}
