using StackExchange.Redis;
using TokenOps.Core.Budgets;

namespace TokenOps.Storage.Redis;

/// <summary>
/// Shared budget counters in Redis (see <see cref="CounterScripts"/> for the layout). Every key of a fleet carries one
/// hash tag, <c>tokenops:{fleet}:</c>, so a multi-budget reservation touches one cluster slot. Settled markers live a
/// day: a settle repeated later than that would book twice, and no gateway retries one that late.
/// </summary>
public sealed class RedisBudgetCounters(IConnectionMultiplexer redis, string fleet = "tokenops") : ISharedBudgetCounters
{
    private static readonly TimeSpan SettledMarkerLife = TimeSpan.FromDays(1);
    private readonly string _prefix = $"tokenops:{{{fleet}}}:";

    public SharedReserveResult TryReserve(string reservationId, IReadOnlyList<SharedCounterSlot> slots, long nanos, TimeSpan ttl)
    {
        var (keys, args) = ReserveCall(reservationId, slots, nanos, ttl);
        return ReserveResult(Run(CounterScripts.Reserve, keys, args), slots.Count);
    }

    public async Task<SharedReserveResult> TryReserveAsync(string reservationId, IReadOnlyList<SharedCounterSlot> slots, long nanos, TimeSpan ttl)
    {
        var (keys, args) = ReserveCall(reservationId, slots, nanos, ttl);
        return ReserveResult(await RunAsync(CounterScripts.Reserve, keys, args), slots.Count);
    }

    private (RedisKey[] Keys, RedisValue[] Args) ReserveCall(string reservationId, IReadOnlyList<SharedCounterSlot> slots, long nanos, TimeSpan ttl)
    {
        var keys = new RedisKey[slots.Count * 3];
        var args = new RedisValue[3 + slots.Count * 4];
        args[0] = reservationId;
        args[1] = nanos;
        args[2] = (long)ttl.TotalMilliseconds;
        for (var i = 0; i < slots.Count; i++)
        {
            var s = slots[i];
            SlotKeys(s, keys, i * 3);
            args[3 + i * 4] = s.Hard ? 1 : 0;
            args[4 + i * 4] = s.Limit;
            args[5 + i * 4] = s.Rolling ? s.WindowStart.ToUnixTimeSeconds() : -1;
            args[6 + i * 4] = s.ExpireAt.ToUnixTimeMilliseconds();
        }
        return (keys, args);
    }

    private static SharedReserveResult ReserveResult(RedisResult result, int count)
    {
        var reply = (RedisResult[])result!;
        var status = (long)reply[0];
        var index = (int)(long)reply[1];
        if (status < 0) return new SharedReserveResult(false, -1, index, []);
        var states = new SharedCounterState[count];
        for (var i = 0; i < states.Length; i++) states[i] = new SharedCounterState((long)reply[2 + 2 * i], (long)reply[3 + 2 * i]);
        return new SharedReserveResult(status == 1, status == 1 ? -1 : index, -1, states);
    }

    public void Seed(SharedCounterSlot slot, IReadOnlyList<SeedField> spent) => Run(CounterScripts.Seed, [Key("c", slot)], SeedArgs(slot, spent));

    public async Task SeedAsync(SharedCounterSlot slot, IReadOnlyList<SeedField> spent) =>
        await RunAsync(CounterScripts.Seed, [Key("c", slot)], SeedArgs(slot, spent));

    private static RedisValue[] SeedArgs(SharedCounterSlot slot, IReadOnlyList<SeedField> spent)
    {
        var args = new RedisValue[1 + spent.Count * 2];
        args[0] = slot.ExpireAt.ToUnixTimeMilliseconds();
        for (var i = 0; i < spent.Count; i++)
        {
            args[1 + 2 * i] = spent[i].Field;
            args[2 + 2 * i] = spent[i].Nanos;
        }
        return args;
    }

    public void Settle(string reservationId, IReadOnlyList<SharedCounterSlot> slots, IReadOnlyList<string> spentFields, long actualNanos)
    {
        var (keys, args) = SettleCall(reservationId, slots, spentFields, actualNanos);
        Run(CounterScripts.Settle, keys, args);
    }

    public async Task SettleAsync(string reservationId, IReadOnlyList<SharedCounterSlot> slots, IReadOnlyList<string> spentFields, long actualNanos)
    {
        var (keys, args) = SettleCall(reservationId, slots, spentFields, actualNanos);
        await RunAsync(CounterScripts.Settle, keys, args);
    }

    private (RedisKey[] Keys, RedisValue[] Args) SettleCall(string reservationId, IReadOnlyList<SharedCounterSlot> slots, IReadOnlyList<string> spentFields, long actualNanos)
    {
        var keys = new RedisKey[slots.Count * 3 + 1];
        for (var i = 0; i < slots.Count; i++) SlotKeys(slots[i], keys, i * 3);
        keys[^1] = _prefix + "s:" + reservationId;
        var args = new RedisValue[3 + slots.Count];
        args[0] = reservationId;
        args[1] = actualNanos;
        args[2] = (long)SettledMarkerLife.TotalMilliseconds;
        for (var i = 0; i < slots.Count; i++) args[3 + i] = spentFields[i];
        return (keys, args);
    }

    public void Renew(string reservationId, IReadOnlyList<SharedCounterSlot> slots, TimeSpan ttl) =>
        Run(CounterScripts.Renew, slots.Select(s => Key("x", s)).ToArray(), [reservationId, (long)ttl.TotalMilliseconds]);

    public SharedCounterState? Read(SharedCounterSlot slot)
    {
        var keys = new RedisKey[3];
        SlotKeys(slot, keys, 0);
        var reply = (RedisResult[])Run(CounterScripts.Read, keys, [slot.Rolling ? slot.WindowStart.ToUnixTimeSeconds() : -1])!;
        return reply.Length == 0 ? null : new SharedCounterState((long)reply[0], (long)reply[1]);
    }

    public void Adjust(SharedCounterSlot slot, string spentField, long nanos) =>
        Run(CounterScripts.Adjust, [Key("c", slot)], [spentField, nanos]);

    public bool IsReachable()
    {
        try
        {
            redis.GetDatabase().Ping();
            return true;
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            return false;
        }
    }

    private void SlotKeys(SharedCounterSlot slot, RedisKey[] keys, int at)
    {
        keys[at] = Key("c", slot);
        keys[at + 1] = Key("h", slot);
        keys[at + 2] = Key("x", slot);
    }

    private RedisKey Key(string kind, SharedCounterSlot slot) => _prefix + kind + ":" + slot.Name;

    private RedisResult Run(string script, RedisKey[] keys, RedisValue[] args)
    {
        try
        {
            // The library loads each script once per connection and sends EVALSHA from then on.
            return redis.GetDatabase().ScriptEvaluate(script, keys, args);
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            // The message names the failure kind only: a connection string's host or password never leaves here.
            throw new BudgetCountersUnavailableException($"Redis budget counters unreachable ({ex.GetType().Name})", ex);
        }
    }

    private async Task<RedisResult> RunAsync(string script, RedisKey[] keys, RedisValue[] args)
    {
        try
        {
            return await redis.GetDatabase().ScriptEvaluateAsync(script, keys, args).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            throw new BudgetCountersUnavailableException($"Redis budget counters unreachable ({ex.GetType().Name})", ex);
        }
    }

    private static bool IsOutage(Exception ex) => ex is RedisConnectionException or RedisTimeoutException or ObjectDisposedException
        || (ex is RedisServerException server && server.Message.StartsWith("LOADING", StringComparison.Ordinal));
}
