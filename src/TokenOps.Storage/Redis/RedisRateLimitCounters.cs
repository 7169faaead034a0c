using StackExchange.Redis;
using TokenOps.Core.RateLimits;

namespace TokenOps.Storage.Redis;

/// <summary>
/// Rate-limit counters shared by a fleet in Redis, with the semantics of <see cref="InProcessRateLimitCounters"/>:
/// one Lua script per call (check-and-take, release), the caller's time passed in, every key under one hash tag so a
/// cluster keeps them in one slot. Per scope: <c>…:r:&lt;window&gt;</c> and <c>…:t:&lt;window&gt;</c> count requests
/// and tokens of a minute (expiring a minute after it), <c>…:c</c> is a sorted set of leases in flight scored by when
/// they expire (abandoned ones, from a replica that died, age out); <c>…:lease:&lt;id&gt;</c> holds a lease's estimate
/// until its release, so a second release does nothing.
/// </summary>
public sealed class RedisRateLimitCounters(IConnectionMultiplexer redis, string keyPrefix = "tokenops:", TimeSpan? leaseTtl = null) : IRateLimitCounters
{
    /// <summary>How long a lease nobody released holds its slot (a request longer than this loses its slot early).</summary>
    private readonly long _leaseTtlMs = (long)(leaseTtl ?? TimeSpan.FromMinutes(15)).TotalMilliseconds;

    // ARGV: count, now, counters' time to live, lease expiry (a score) and time to live, lease id, tokens, then rpm, tpm,
    // concurrent per limit (-1: none). Lifetimes are relative (PEXPIRE), so Redis's own clock never matters: all times
    // are the callers'.
    // KEYS: requests, tokens, in-flight per limit, then the lease. Returns {0, 0} when admitted, else {limit, kind}.
    private const string AcquireScript = """
        local n = tonumber(ARGV[1])
        local now = tonumber(ARGV[2])
        local tokens = tonumber(ARGV[7])
        for i = 1, n do
          local k = 3 * (i - 1)
          local rpm, tpm, conc = tonumber(ARGV[5 + 3 * i]), tonumber(ARGV[6 + 3 * i]), tonumber(ARGV[7 + 3 * i])
          if conc >= 0 then
            redis.call('ZREMRANGEBYSCORE', KEYS[k + 3], '-inf', now)
            if redis.call('ZCARD', KEYS[k + 3]) >= conc then return {i, 3} end
          end
          if rpm >= 0 and tonumber(redis.call('GET', KEYS[k + 1]) or '0') + 1 > rpm then return {i, 1} end
          if tpm >= 0 and tonumber(redis.call('GET', KEYS[k + 2]) or '0') + tokens > tpm then return {i, 2} end
        end
        for i = 1, n do
          local k = 3 * (i - 1)
          redis.call('INCR', KEYS[k + 1])
          redis.call('PEXPIRE', KEYS[k + 1], ARGV[3])
          redis.call('INCRBY', KEYS[k + 2], tokens)
          redis.call('PEXPIRE', KEYS[k + 2], ARGV[3])
          if tonumber(ARGV[7 + 3 * i]) >= 0 then
            redis.call('ZADD', KEYS[k + 3], ARGV[4], ARGV[6])
            redis.call('PEXPIRE', KEYS[k + 3], ARGV[5])
          end
        end
        redis.call('SET', KEYS[3 * n + 1], tokens, 'PX', ARGV[5])
        return {0, 0}
        """;

    // KEYS: the lease, the token counters of its window, its in-flight sets. ARGV: lease id, actual tokens, token key count.
    private const string ReleaseScript = """
        local estimate = redis.call('GET', KEYS[1])
        if not estimate then return 0 end
        redis.call('DEL', KEYS[1])
        local delta = tonumber(ARGV[2]) - tonumber(estimate)
        local nt = tonumber(ARGV[3])
        for i = 2, nt + 1 do
          if redis.call('EXISTS', KEYS[i]) == 1 then
            local v = redis.call('INCRBY', KEYS[i], delta)
            if v < 0 then redis.call('INCRBY', KEYS[i], -v) end
          end
        end
        for i = nt + 2, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
        return 1
        """;

    public async ValueTask<RateLimitDecision> TryAcquireAsync(RateLimitAsk ask, CancellationToken cancellationToken = default)
    {
        var window = RateWindow.Of(ask.Now);
        var limits = ask.Limits;
        var keys = new RedisKey[3 * limits.Count + 1];
        var args = new RedisValue[7 + 3 * limits.Count];
        var nowMs = ask.Now.ToUnixTimeMilliseconds();
        var leaseUntil = nowMs + _leaseTtlMs;
        args[0] = limits.Count;
        args[1] = nowMs;
        // A window's counters outlive it by a minute: a release may still correct the one it started in.
        args[2] = RateWindow.End(window).ToUnixTimeMilliseconds() + RateWindow.LengthMs - nowMs;
        args[3] = leaseUntil;
        args[4] = _leaseTtlMs;
        args[5] = ask.LeaseId;
        args[6] = ask.Tokens;
        for (var i = 0; i < limits.Count; i++)
        {
            var l = limits[i];
            keys[3 * i] = Key(l.Scope, "r:" + window);
            keys[3 * i + 1] = Key(l.Scope, "t:" + window);
            keys[3 * i + 2] = Key(l.Scope, "c");
            args[7 + 3 * i] = l.RequestsPerMinute ?? -1;
            args[8 + 3 * i] = l.TokensPerMinute ?? -1;
            args[9 + 3 * i] = l.Concurrent ?? -1;
        }
        keys[^1] = LeaseKey(ask.LeaseId);
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(AcquireScript, keys, args))!;
        var refusedAt = (int)result[0];
        if (refusedAt == 0)
            return new RateLimitDecision(new RateLimitLease(ask.LeaseId, window, ask.Tokens,
                [.. limits.Select(l => l.Scope)], [.. limits.Where(l => l.Concurrent is not null).Select(l => l.Scope)]), null);
        var refused = limits[refusedAt - 1];
        var refusal = (int)result[1] switch
        {
            1 => new RateLimitRefusal(refused.Scope, RateLimitKind.RequestsPerMinute, refused.RequestsPerMinute!.Value, RateWindow.SecondsToEnd(ask.Now)),
            2 => new RateLimitRefusal(refused.Scope, RateLimitKind.TokensPerMinute, refused.TokensPerMinute!.Value, RateWindow.SecondsToEnd(ask.Now)),
            _ => new RateLimitRefusal(refused.Scope, RateLimitKind.Concurrent, refused.Concurrent!.Value, 1),
        };
        return new RateLimitDecision(null, refusal);
    }

    public async ValueTask ReleaseAsync(RateLimitLease lease, long actualTokens)
    {
        var keys = new List<RedisKey>(1 + lease.TokenScopes.Length + lease.ConcurrencyScopes.Length) { LeaseKey(lease.Id) };
        keys.AddRange(lease.TokenScopes.Select(s => Key(s, "t:" + lease.Window)));
        keys.AddRange(lease.ConcurrencyScopes.Select(s => Key(s, "c")));
        await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [.. keys], [lease.Id, actualTokens, lease.TokenScopes.Length]);
    }

    // "{rl}" is the hash tag: every rate-limit key of a deployment in one cluster slot (the data is tiny).
    private RedisKey Key(string scope, string suffix) => $"{keyPrefix}{{rl}}:{scope}:{suffix}";

    private RedisKey LeaseKey(string id) => $"{keyPrefix}{{rl}}:lease:{id}";
}
