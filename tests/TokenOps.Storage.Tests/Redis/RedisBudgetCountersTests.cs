using StackExchange.Redis;
using TokenOps.Core.Budgets;
using TokenOps.Storage.Redis;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class RedisBudgetCountersTests : IDisposable
{
    private static readonly DateTimeOffset Window = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly RedisServer _server;
    private readonly ConnectionMultiplexer _redis;
    private readonly RedisBudgetCounters _counters;
    private readonly string _fleet = "t" + Guid.NewGuid().ToString("N")[..8];

    public RedisBudgetCountersTests(RedisServer server)
    {
        _server = server;
        server.Start();
        _redis = ConnectionMultiplexer.Connect(server.ConnectionString);
        _counters = new RedisBudgetCounters(_redis, _fleet);
    }

    public void Dispose() => _redis.Dispose();

    private static SharedCounterSlot Slot(string id, long limit, bool hard = true) =>
        new(id + ":" + Window.ToUnixTimeSeconds(), hard, limit, false, Window, Window.AddDays(40));

    private SharedCounterSlot Seeded(string id, long limit, long spent = 0, bool hard = true)
    {
        var slot = Slot(id, limit, hard);
        _counters.Seed(slot, [new SeedField(SharedCounterSlot.CalendarField, spent)]);
        return slot;
    }

    [Fact]
    public void Reserve_is_all_or_nothing_across_budgets()
    {
        var team = Seeded("team:a", 1000);
        var person = Seeded("person:p", 100, spent: 50);
        var refused = _counters.TryReserve("evt_1", [team, person], 60, TimeSpan.FromMinutes(1));
        Assert.False(refused.Granted);
        Assert.Equal(1, refused.RefusedIndex);
        Assert.Equal(new SharedCounterState(0, 0), _counters.Read(team)); // nothing held on the budget that had room
        var granted = _counters.TryReserve("evt_2", [team, person], 50, TimeSpan.FromMinutes(1));
        Assert.True(granted.Granted);
        Assert.Equal([new SharedCounterState(0, 50), new SharedCounterState(50, 50)], granted.States);
    }

    [Fact]
    public void Refusal_names_the_first_hard_budget_in_order_and_soft_budgets_never_refuse()
    {
        var soft = Seeded("a:soft", 10, hard: false);
        var first = Seeded("b:hard", 10);
        var second = Seeded("c:hard", 10);
        var result = _counters.TryReserve("evt_1", [soft, first, second], 20, TimeSpan.FromMinutes(1));
        Assert.Equal(1, result.RefusedIndex);
        Assert.True(_counters.TryReserve("evt_2", [soft], 20, TimeSpan.FromMinutes(1)).Granted);
    }

    [Fact]
    public void An_unseeded_counter_refuses_to_run_until_seeded()
    {
        var seeded = Seeded("team:a", 1000);
        var fresh = Slot("person:new", 1000);
        var result = _counters.TryReserve("evt_1", [seeded, fresh], 10, TimeSpan.FromMinutes(1));
        Assert.True(result.Unseeded);
        Assert.Equal(1, result.UnseededIndex);
        Assert.Equal(new SharedCounterState(0, 0), _counters.Read(seeded));
        Assert.Null(_counters.Read(fresh));
    }

    [Fact]
    public async Task Many_concurrent_reserves_never_hold_past_a_hard_limit()
    {
        var budget = Seeded("team:race", 1_000);
        var granted = 0;
        // Dedicated threads: calls block (admission is synchronous), and the client's reader needs pool threads free.
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            for (var i = 0; i < 50; i++)
                if (_counters.TryReserve($"evt_{t}_{i}", [budget], 7, TimeSpan.FromMinutes(1)).Granted) Interlocked.Increment(ref granted);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        await Task.CompletedTask;
        Assert.Equal(1_000 / 7, granted);
        Assert.Equal(new SharedCounterState(0, 1_000 / 7 * 7), _counters.Read(budget));
    }

    [Fact]
    public void Settle_frees_the_hold_and_books_once_however_often_it_is_called()
    {
        var a = Seeded("team:a", 1000, spent: 100);
        var b = Seeded("person:b", 1000);
        Assert.True(_counters.TryReserve("evt_1", [a, b], 300, TimeSpan.FromMinutes(1)).Granted);
        string[] fields = [SharedCounterSlot.CalendarField, SharedCounterSlot.CalendarField];
        _counters.Settle("evt_1", [a, b], fields, 120);
        _counters.Settle("evt_1", [a, b], fields, 120);
        Assert.Equal(new SharedCounterState(220, 0), _counters.Read(a));
        Assert.Equal(new SharedCounterState(120, 0), _counters.Read(b));
        // A repeated reserve under a settled id holds nothing twice either.
        Assert.True(_counters.TryReserve("evt_2", [a], 10, TimeSpan.FromMinutes(1)).Granted);
        Assert.True(_counters.TryReserve("evt_2", [a], 10, TimeSpan.FromMinutes(1)).Granted);
        Assert.Equal(new SharedCounterState(220, 10), _counters.Read(a));
    }

    [Fact]
    public async Task A_hold_nobody_settles_disappears_with_its_ttl_and_a_late_settle_still_books_the_cost()
    {
        var budget = Seeded("team:a", 100);
        Assert.True(_counters.TryReserve("evt_dead", [budget], 100, TimeSpan.FromMilliseconds(300)).Granted);
        Assert.False(_counters.TryReserve("evt_next", [budget], 1, TimeSpan.FromMinutes(1)).Granted);
        await Task.Delay(600);
        Assert.Equal(new SharedCounterState(0, 0), _counters.Read(budget));
        Assert.True(_counters.TryReserve("evt_next", [budget], 1, TimeSpan.FromMinutes(1)).Granted);
        _counters.Settle("evt_dead", [budget], [SharedCounterSlot.CalendarField], 40);
        Assert.Equal(new SharedCounterState(40, 1), _counters.Read(budget));
    }

    [Fact]
    public async Task Renewal_keeps_a_hold_past_its_first_ttl()
    {
        var budget = Seeded("team:a", 100);
        Assert.True(_counters.TryReserve("evt_stream", [budget], 80, TimeSpan.FromMilliseconds(400)).Granted);
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(200);
            _counters.Renew("evt_stream", [budget], TimeSpan.FromMilliseconds(400));
        }
        Assert.Equal(new SharedCounterState(0, 80), _counters.Read(budget));
        Assert.False(_counters.TryReserve("evt_other", [budget], 30, TimeSpan.FromMinutes(1)).Granted);
    }

    [Fact]
    public async Task Racing_replicas_seed_a_counter_once_and_the_first_seed_wins()
    {
        var slot = Slot("team:seed", 1000);
        var replicas = Enumerable.Range(0, 6).Select(_ => ConnectionMultiplexer.Connect(_server.ConnectionString)).ToList();
        try
        {
            using var start = new Barrier(replicas.Count);
            // A thread each (not the pool's): six threads blocked at the barrier and in synchronous calls starved a loaded
            // CI machine's pool, and a Redis call timed out waiting for its completion to be run.
            await Task.WhenAll(replicas.Select((r, i) => Task.Factory.StartNew(() =>
            {
                var counters = new RedisBudgetCounters(r, _fleet);
                start.SignalAndWait();
                counters.Seed(slot, [new SeedField(SharedCounterSlot.CalendarField, 100 + i)]);
                // A replica that lost the race must not add on top of the winner's seed.
                counters.Seed(slot, [new SeedField(SharedCounterSlot.CalendarField, 100 + i)]);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        }
        finally
        {
            foreach (var r in replicas) r.Dispose();
        }
        var spent = _counters.Read(slot)!.Spent;
        Assert.InRange(spent, 100, 105);
    }

    [Fact]
    public void Rolling_budgets_count_only_the_days_in_their_window()
    {
        var day = TimeSpan.FromDays(1);
        var slot = new SharedCounterSlot("person:roll:rolling", true, 1000, true, Window, Window.AddDays(40));
        _counters.Seed(slot, [new SeedField(SharedCounterSlot.DayField(Window - day), 500), new SeedField(SharedCounterSlot.DayField(Window), 200)]);
        Assert.Equal(200, _counters.Read(slot)!.Spent);
        Assert.True(_counters.TryReserve("evt_1", [slot], 800, TimeSpan.FromMinutes(1)).Granted);
        _counters.Settle("evt_1", [slot], [SharedCounterSlot.DayField(Window + day)], 300);
        Assert.Equal(new SharedCounterState(500, 0), _counters.Read(slot));
        var later = slot with { WindowStart = Window + day };
        Assert.Equal(300, _counters.Read(later)!.Spent);
    }

    [Fact]
    public void Adjust_moves_a_seeded_counter_only()
    {
        var seeded = Seeded("team:a", 1000, spent: 10);
        _counters.Adjust(seeded, SharedCounterSlot.CalendarField, -4);
        Assert.Equal(6, _counters.Read(seeded)!.Spent);
        var fresh = Slot("team:b", 1000);
        _counters.Adjust(fresh, SharedCounterSlot.CalendarField, 5);
        Assert.Null(_counters.Read(fresh));
    }

    [Fact]
    public void A_stopped_server_is_reported_unavailable_and_a_restarted_one_serves_again()
    {
        var budget = Seeded("team:a", 1000);
        _server.Stop();
        try
        {
            Assert.False(_counters.IsReachable());
            var ex = Assert.Throws<BudgetCountersUnavailableException>(() => _counters.TryReserve("evt_1", [budget], 1, TimeSpan.FromMinutes(1)));
            Assert.DoesNotContain(_server.Port.ToString(), ex.Message);
        }
        finally
        {
            _server.Start();
        }
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!_counters.IsReachable() && DateTime.UtcNow < deadline) Thread.Sleep(100);
        // No persistence: the restarted server is empty, so the counter asks to be seeded again.
        Assert.True(_counters.TryReserve("evt_2", [budget], 1, TimeSpan.FromMinutes(1)).Unseeded);
    }
}
