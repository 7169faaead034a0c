using StackExchange.Redis;

namespace TokenOps.Storage.Redis;

/// <summary>
/// The response cache shared by a fleet. Each entry is a hash (answer, source id, source cost, times) that Redis expires
/// when the entry's time is up (PEXPIRE from the caller's clock, so a server clock that differs moves nothing); the LRU order is a sorted set scored by last use and the sizes a hash, so the size bound
/// holds whatever Redis' maxmemory policy is. Every key shares the <c>{rc}</c> hash tag (one cluster slot), so each
/// operation is one short script: a lookup marks the entry used, a store evicts the least recently used (and forgets
/// entries Redis already expired) until the total fits.
/// </summary>
public sealed class RedisResponseCacheStore(IConnectionMultiplexer redis, string keyPrefix = "tokenops:{rc}:") : IResponseCacheStore
{
    // KEYS: entry, lru, sizes. ARGV: key, now (ms). Returns {answer, source, cost, created, expires} or nil.
    private const string GetScript = """
        local e = redis.call('HMGET', KEYS[1], 'answer', 'source', 'cost', 'created', 'expires')
        if not e[1] or tonumber(e[5]) <= tonumber(ARGV[2]) then
          if e[1] then redis.call('DEL', KEYS[1]) end
          local bytes = redis.call('HGET', KEYS[3], ARGV[1])
          if bytes then
            redis.call('HDEL', KEYS[3], ARGV[1])
            redis.call('HINCRBY', KEYS[3], '', -tonumber(bytes))
          end
          redis.call('ZREM', KEYS[2], ARGV[1])
          return nil
        end
        redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
        return e
        """;

    // KEYS: entry, lru, sizes. ARGV: key, answer, source, cost, created, expires, now, bytes, max total, entry prefix.
    // The total lives in the sizes hash under the empty field. Returns the number of entries evicted.
    private const string PutScript = """
        local old = redis.call('HGET', KEYS[3], ARGV[1])
        if old then redis.call('HINCRBY', KEYS[3], '', -tonumber(old)) end
        redis.call('HSET', KEYS[1], 'answer', ARGV[2], 'source', ARGV[3], 'cost', ARGV[4], 'created', ARGV[5], 'expires', ARGV[6])
        redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[6]) - tonumber(ARGV[7]))
        redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
        redis.call('HSET', KEYS[3], ARGV[1], ARGV[8])
        local total = redis.call('HINCRBY', KEYS[3], '', tonumber(ARGV[8]))
        local evicted = 0
        while total > tonumber(ARGV[9]) do
          -- The oldest entry that is not the one just stored (a put stamped earlier than the rest must still evict them).
          local oldest = redis.call('ZRANGE', KEYS[2], 0, 1)
          local victim = oldest[1]
          if victim == ARGV[1] then victim = oldest[2] end
          if not victim then break end
          local bytes = tonumber(redis.call('HGET', KEYS[3], victim) or '0')
          redis.call('DEL', ARGV[10] .. victim)
          redis.call('ZREM', KEYS[2], victim)
          redis.call('HDEL', KEYS[3], victim)
          total = redis.call('HINCRBY', KEYS[3], '', -bytes)
          evicted = evicted + 1
        end
        return evicted
        """;

    // KEYS: entry, lru, sizes. ARGV: key. Returns 1 when the entry existed.
    private const string EvictScript = """
        local existed = redis.call('DEL', KEYS[1])
        local bytes = redis.call('HGET', KEYS[3], ARGV[1])
        if bytes then
          redis.call('HDEL', KEYS[3], ARGV[1])
          redis.call('HINCRBY', KEYS[3], '', -tonumber(bytes))
        end
        redis.call('ZREM', KEYS[2], ARGV[1])
        return existed
        """;

    private RedisKey Entry(string key) => new(keyPrefix + "e:" + key);
    private RedisKey Lru => new(keyPrefix + "lru");
    private RedisKey Sizes => new(keyPrefix + "sizes");

    public ResponseCacheEntry? Get(string key, DateTimeOffset now) =>
        ToEntry(key, redis.GetDatabase().ScriptEvaluate(GetScript, [Entry(key), Lru, Sizes], [key, now.ToUnixTimeMilliseconds()]));

    public async Task<ResponseCacheEntry?> GetAsync(string key, DateTimeOffset now) =>
        ToEntry(key, await redis.GetDatabase().ScriptEvaluateAsync(GetScript, [Entry(key), Lru, Sizes], [key, now.ToUnixTimeMilliseconds()]).ConfigureAwait(false));

    public void Put(ResponseCacheEntry entry, DateTimeOffset now, long maxTotalBytes)
    {
        if (PutArguments(entry, now, maxTotalBytes) is { } args) redis.GetDatabase().ScriptEvaluate(PutScript, [Entry(entry.Key), Lru, Sizes], args);
    }

    public Task PutAsync(ResponseCacheEntry entry, DateTimeOffset now, long maxTotalBytes) =>
        PutArguments(entry, now, maxTotalBytes) is { } args
            ? redis.GetDatabase().ScriptEvaluateAsync(PutScript, [Entry(entry.Key), Lru, Sizes], args)
            : Task.CompletedTask;

    private static ResponseCacheEntry? ToEntry(string key, RedisResult result)
    {
        if (result.IsNull) return null;
        var e = (RedisResult[])result!;
        return new ResponseCacheEntry(key, (string)e[0]!, (string)e[1]!, (long)e[2],
            DateTimeOffset.FromUnixTimeMilliseconds((long)e[3]), DateTimeOffset.FromUnixTimeMilliseconds((long)e[4]));
    }

    /// <summary>The put script's arguments; null when the entry is larger than the whole bound or already expired (nothing to store).</summary>
    private RedisValue[]? PutArguments(ResponseCacheEntry entry, DateTimeOffset now, long maxTotalBytes) =>
        entry.Bytes > maxTotalBytes || entry.ExpiresAt <= now
            ? null
            : [entry.Key, entry.Answer, entry.SourceId, entry.SourceCostNanos, entry.CreatedAt.ToUnixTimeMilliseconds(),
               entry.ExpiresAt.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), entry.Bytes, maxTotalBytes, keyPrefix + "e:"];

    public bool Evict(string key) =>
        (long)redis.GetDatabase().ScriptEvaluate(EvictScript, [Entry(key), Lru, Sizes], [key]) == 1;

    public long TotalBytes()
    {
        var total = redis.GetDatabase().HashGet(Sizes, "");
        return total.IsNull ? 0 : (long)total;
    }
}
