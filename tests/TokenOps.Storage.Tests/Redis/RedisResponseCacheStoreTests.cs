using StackExchange.Redis;
using TokenOps.Storage.Redis;
using TokenOps.Storage.Tests.ResponseCache;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Redis;

/// <summary>
/// The response cache suite on a real redis-server (a key prefix of its own per test, so each starts empty), plus what
/// only Redis does: the entry key carries Redis' own expiry, and two replicas share one cache.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisResponseCacheStoreTests : ResponseCacheStoreConformanceTests, IDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly string _prefix = "tokenops:{rc-" + Guid.NewGuid().ToString("N") + "}:";

    public RedisResponseCacheStoreTests(RedisServer server)
    {
        _redis = ConnectionMultiplexer.Connect(server.ConnectionString);
        Store = new RedisResponseCacheStore(_redis, _prefix);
    }

    protected override IResponseCacheStore Store { get; }

    public void Dispose() => _redis.Dispose();

    [Fact]
    public void Two_replicas_share_entries_and_redis_expires_the_entry_key_itself()
    {
        var now = DateTimeOffset.UtcNow;
        var other = new RedisResponseCacheStore(_redis, _prefix);
        Store.Put(new ResponseCacheEntry("shared", "{}", "evt_1", 10, now, now.AddSeconds(30)), now, 1 << 20);
        Assert.NotNull(other.Get("shared", now));
        var ttl = _redis.GetDatabase().KeyTimeToLive(_prefix + "e:shared");
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value.TotalSeconds, 1, 30);
    }
}
