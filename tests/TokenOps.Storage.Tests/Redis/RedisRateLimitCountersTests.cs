using StackExchange.Redis;
using TokenOps.Core.RateLimits;
using TokenOps.Storage.Redis;
using TokenOps.Storage.Tests.RateLimits;

namespace TokenOps.Storage.Tests.Redis;

/// <summary>The rate-limit counters spec on a real redis-server, plus what only a shared store has: two replicas, one count; abandoned leases age out.</summary>
public sealed class RedisRateLimitCountersTests : RateLimitCountersSpec, IClassFixture<ThrowawayRedis>, IDisposable
{
    private readonly ConnectionMultiplexer _redis;

    public RedisRateLimitCountersTests(ThrowawayRedis server)
    {
        _redis = ConnectionMultiplexer.Connect(server.ConnectionString);
        Counters = new RedisRateLimitCounters(_redis);
    }

    protected override IRateLimitCounters Counters { get; }

    [Fact]
    public async Task Two_replicas_share_one_count()
    {
        var other = new RedisRateLimitCounters(_redis);
        var limit = new AppliedRateLimit("team:" + Guid.NewGuid().ToString("N"), 3, null, null);
        for (var i = 0; i < 3; i++)
        {
            var replica = i % 2 == 0 ? Counters : other;
            Assert.True((await replica.TryAcquireAsync(new RateLimitAsk("evt_" + Guid.NewGuid().ToString("N"), At, 0, [limit]))).Admitted);
        }
        Assert.False((await other.TryAcquireAsync(new RateLimitAsk("evt_x" + Guid.NewGuid().ToString("N"), At, 0, [limit]))).Admitted);
    }

    [Fact]
    public async Task A_slot_nobody_released_ages_out_and_counter_keys_expire_after_their_window()
    {
        var counters = new RedisRateLimitCounters(_redis, "tokenops-ttl:", TimeSpan.FromSeconds(30));
        var limit = new AppliedRateLimit("key:" + Guid.NewGuid().ToString("N"), 10, null, 1);
        Assert.True((await counters.TryAcquireAsync(new RateLimitAsk("evt_a", At, 0, [limit]))).Admitted);
        Assert.False((await counters.TryAcquireAsync(new RateLimitAsk("evt_b", At.AddSeconds(29), 0, [limit]))).Admitted);

        // The replica holding evt_a died: 30 s later its lease no longer counts.
        Assert.True((await counters.TryAcquireAsync(new RateLimitAsk("evt_c", At.AddSeconds(31), 0, [limit]))).Admitted);

        var ttl = await _redis.GetDatabase().KeyTimeToLiveAsync($"tokenops-ttl:{{rl}}:{limit.Scope}:r:{RateWindow.Of(At)}");
        Assert.NotNull(ttl); // expires by itself (at the window's end plus a minute, measured on the test's fixed clock)
    }

    public void Dispose() => _redis.Dispose();
}
