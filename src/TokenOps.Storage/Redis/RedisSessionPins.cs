using StackExchange.Redis;
using TokenOps.Core.Routing;

namespace TokenOps.Storage.Redis;

/// <summary>
/// Session pins shared by a fleet: one hash per pin (<c>rank</c>, <c>model</c>) and one Lua script that keeps the stronger
/// pin and renews its lifetime, so every replica routes a conversation's turns to the same model. Keys carry a SHA-256 of
/// the router and session, never the session header itself.
/// </summary>
public sealed class RedisSessionPins(IConnectionMultiplexer redis, TimeSpan ttl, string keyPrefix = "tokenops:pin:") : ISessionPins
{
    // KEYS: the pin. ARGV: offered rank, offered model, time to live (ms). Returns {rank, model} in force.
    private const string Script = """
        local rank = tonumber(redis.call('HGET', KEYS[1], 'rank') or '-1')
        if rank > tonumber(ARGV[1]) then
          redis.call('PEXPIRE', KEYS[1], ARGV[3])
          return {rank, redis.call('HGET', KEYS[1], 'model')}
        end
        redis.call('HSET', KEYS[1], 'rank', ARGV[1], 'model', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return {tonumber(ARGV[1]), ARGV[2]}
        """;

    private readonly long _ttlMs = (long)ttl.TotalMilliseconds;

    public async ValueTask<SessionPin> PinAtLeastAsync(string router, string session, SessionPin offered, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(router + "\n" + session)));
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script, [new RedisKey(keyPrefix + hash)],
            [offered.Rank, offered.Model, _ttlMs]))!;
        return new SessionPin((string)result[1]!, (int)result[0]);
    }
}
