using System.Net.Http.Headers;
using System.Text;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Fleet;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.ResponseCache;

/// <summary>With "redis" configured, two gateways (each with its own database) share one response cache.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisSharedCacheTests(RedisServer redis)
{
    [Fact]
    public async Task An_answer_stored_by_one_gateway_is_a_hit_on_the_other()
    {
        Environment.SetEnvironmentVariable("TOKENOPS_TEST_CACHE_REDIS", redis.ConnectionString);
        void Configure(GatewayOptions o)
        {
            o.Cache.Exact = new ExactCacheOptions { Enabled = true };
            o.Redis = new RedisOptions { ConnectionStringEnv = "TOKENOPS_TEST_CACHE_REDIS" };
        }
        await using var a = await GatewayFixture.StartAsync(Configure);
        await using var b = await GatewayFixture.StartAsync(Configure);
        var team = "shared-" + Guid.NewGuid().ToString("N")[..8];
        var body = CacheHttp.Chat("one cache for the fleet");

        Assert.Equal("miss", (await CacheHttp.ChatAsync(a, a.CreateKey("ann", team), body)).Cache);
        var hit = await CacheHttp.ChatAsync(b, b.CreateKey("bob", team), body);
        Assert.Equal("hit", hit.Cache);
        Assert.Single(a.Bill.Entries);
        Assert.Empty(b.Bill.Entries);
        var row = (await b.LedgerAsync()).Single(r => r.Id == hit.RequestId);
        Assert.Equal(((await a.LedgerAsync()).Single().Id, 0L), (row.CacheSourceId, row.CostNanos));
    }
}
