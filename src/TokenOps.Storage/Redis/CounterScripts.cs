namespace TokenOps.Storage.Redis;

/// <summary>
/// The server-side steps of <see cref="RedisBudgetCounters"/>, one Lua script per operation. Each slot is three keys:
/// the counter hash (seeded, spent or one d:&lt;day&gt; field per day, held), the holds hash (reservation id → nanos)
/// and the expiry sorted set (reservation id scored by expiry in ms). Expired holds are purged before any decision, so
/// a hold left by a dead replica disappears with its TTL. Time is the server's (TIME), so replicas' clocks do not
/// matter. Lua numbers are doubles: exact to 2^53 nano-USD (about 9 million USD per counter).
/// </summary>
internal static class CounterScripts
{
    private const string Helpers = """
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        local function purge(c, h, x, now)
          local gone = redis.call('ZRANGEBYSCORE', x, '-inf', now)
          for _, id in ipairs(gone) do
            local amount = redis.call('HGET', h, id)
            if amount then
              redis.call('HINCRBY', c, 'held', -tonumber(amount))
              redis.call('HDEL', h, id)
            end
          end
          if #gone > 0 then redis.call('ZREMRANGEBYSCORE', x, '-inf', now) end
        end
        local function spent(c, window_start)
          if window_start < 0 then return tonumber(redis.call('HGET', c, 'spent') or '0') end
          local all = redis.call('HGETALL', c)
          local sum = 0
          for i = 1, #all, 2 do
            local f = all[i]
            if string.sub(f, 1, 2) == 'd:' then
              if tonumber(string.sub(f, 3)) >= window_start then sum = sum + tonumber(all[i + 1]) else redis.call('HDEL', c, f) end
            end
          end
          return sum
        end
        local function held(c) return tonumber(redis.call('HGET', c, 'held') or '0') end

        """;

    /// <summary>
    /// KEYS: c, h, x per slot. ARGV: id, nanos, ttl ms, then per slot: hard (1/0), limit, rolling window start in unix
    /// seconds (-1: calendar), expire-at ms. Returns {-1, i} unseeded, {0, i, spent, held...} refused by slot i,
    /// {1, -1, spent, held...} granted (totals after the hold). A repeated id holds nothing more.
    /// </summary>
    public const string Reserve = Helpers + """
        local id, n, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
        local slots = #KEYS / 3
        for i = 1, slots do
          if redis.call('HEXISTS', KEYS[3 * i - 2], 'seeded') == 0 then return {-1, i - 1} end
        end
        local now = now_ms()
        local refused = -1
        local out = {1, -1}
        for i = 1, slots do
          local c, h, x = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
          local a = 4 * (i - 1) + 4
          purge(c, h, x, now)
          local s, hd = spent(c, tonumber(ARGV[a + 2])), held(c)
          out[2 * i + 1], out[2 * i + 2] = s, hd
          if refused < 0 and ARGV[a] == '1' and redis.call('HEXISTS', h, id) == 0 and tonumber(ARGV[a + 1]) - s - hd < n then refused = i - 1 end
        end
        if refused >= 0 then
          out[1], out[2] = 0, refused
          return out
        end
        for i = 1, slots do
          local c, h, x = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
          local expire_at = ARGV[4 * (i - 1) + 7]
          if redis.call('HSETNX', h, id, n) == 1 then
            redis.call('HINCRBY', c, 'held', n)
            out[2 * i + 2] = out[2 * i + 2] + n
          end
          redis.call('ZADD', x, now + ttl, id)
          redis.call('PEXPIREAT', c, expire_at)
          redis.call('PEXPIREAT', h, expire_at)
          redis.call('PEXPIREAT', x, expire_at)
        end
        return out
        """;

    /// <summary>
    /// KEYS: c, h, x per slot, then the settled marker. ARGV: id, actual nanos, marker ttl ms, then a spent field per
    /// slot. Frees the holds still there; books the cost once per id (the marker), only into seeded counters (an
    /// unseeded one will read the ledger, which has this cost). Returns 1 when it booked.
    /// </summary>
    public const string Settle = """
        local id, actual, marker_ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
        local slots = (#KEYS - 1) / 3
        for i = 1, slots do
          local c, h, x = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
          local amount = redis.call('HGET', h, id)
          if amount then
            redis.call('HINCRBY', c, 'held', -tonumber(amount))
            redis.call('HDEL', h, id)
          end
          redis.call('ZREM', x, id)
        end
        if not redis.call('SET', KEYS[#KEYS], '1', 'NX', 'PX', marker_ttl) then return 0 end
        if actual == 0 then return 0 end
        for i = 1, slots do
          local c = KEYS[3 * i - 2]
          if redis.call('HEXISTS', c, 'seeded') == 1 then redis.call('HINCRBY', c, ARGV[3 + i], actual) end
        end
        return 1
        """;

    /// <summary>KEYS: x per slot. ARGV: id, ttl ms. Pushes the id's expiry out where the hold still exists.</summary>
    public const string Renew = Helpers + """
        local expires = now_ms() + tonumber(ARGV[2])
        local renewed = 0
        for i = 1, #KEYS do
          if redis.call('ZADD', KEYS[i], 'XX', 'CH', expires, ARGV[1]) == 1 then renewed = renewed + 1 end
        end
        return renewed
        """;

    /// <summary>KEYS: c, h, x. ARGV: rolling window start (-1: calendar). Returns {} unseeded, else {spent, held}.</summary>
    public const string Read = Helpers + """
        local c, h, x = KEYS[1], KEYS[2], KEYS[3]
        if redis.call('HEXISTS', c, 'seeded') == 0 then return {} end
        purge(c, h, x, now_ms())
        return {spent(c, tonumber(ARGV[1])), held(c)}
        """;

    /// <summary>KEYS: c. ARGV: expire-at ms, then field, nanos pairs. First writer wins; returns 1 when this call seeded.</summary>
    public const string Seed = """
        local c = KEYS[1]
        if redis.call('HSETNX', c, 'seeded', '1') == 0 then return 0 end
        for i = 2, #ARGV, 2 do redis.call('HSET', c, ARGV[i], ARGV[i + 1]) end
        redis.call('PEXPIREAT', c, ARGV[1])
        return 1
        """;

    /// <summary>KEYS: c. ARGV: field, nanos. Only into a seeded counter.</summary>
    public const string Adjust = """
        if redis.call('HEXISTS', KEYS[1], 'seeded') == 0 then return 0 end
        redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
        return 1
        """;
}
