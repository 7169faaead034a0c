using StackExchange.Redis;
using TokenOps.Core.Routing;
using TokenOps.Storage.Redis;
using TokenOps.Storage.Tests.Routing;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Redis;

/// <summary>The session pin spec on a real redis-server, plus what only a shared store has: two replicas, one pin.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisSessionPinsTests : SessionPinsSpec, IDisposable
{
    private readonly ConnectionMultiplexer _redis;

    public RedisSessionPinsTests(RedisServer server)
    {
        _redis = ConnectionMultiplexer.Connect(server.ConnectionString);
        Pins = new RedisSessionPins(_redis, TimeSpan.FromMinutes(1));
    }

    protected override ISessionPins Pins { get; }

    public void Dispose() => _redis.Dispose();

    [Fact]
    public async Task Two_replicas_share_one_pin_and_the_key_holds_no_session_text()
    {
        var other = new RedisSessionPins(_redis, TimeSpan.FromMinutes(1));
        var session = "secret-session-" + Guid.NewGuid().ToString("N");
        await Pins.PinAtLeastAsync("auto", session, new SessionPin("strong", 1), At);
        Assert.Equal(new SessionPin("strong", 1), await other.PinAtLeastAsync("auto", session, new SessionPin("cheap", 0), At));
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        Assert.DoesNotContain(server.Keys(pattern: "tokenops:pin:*"), k => k.ToString().Contains(session, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_pin_expires_after_its_lifetime()
    {
        var pins = new RedisSessionPins(_redis, TimeSpan.FromMilliseconds(300), "tokenops-pin-ttl:");
        var s = Guid.NewGuid().ToString("N");
        await pins.PinAtLeastAsync("auto", s, new SessionPin("strong", 1), At);
        await Task.Delay(900);
        Assert.Equal(0, (await pins.PinAtLeastAsync("auto", s, new SessionPin("cheap", 0), At)).Rank);
    }
}
