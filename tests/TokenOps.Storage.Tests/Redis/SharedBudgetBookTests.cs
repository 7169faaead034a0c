using System.Collections.Concurrent;
using StackExchange.Redis;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using TokenOps.Storage.Redis;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Redis;

/// <summary>
/// The budget book over Redis as replicas use it: several books (one per "replica") on one Redis, each with its own
/// connection, the ledger stood in for by a settable spend history.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class SharedBudgetBookTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private readonly RedisServer _server;
    private readonly List<ConnectionMultiplexer> _connections = [];
    private readonly string _fleet = "b" + Guid.NewGuid().ToString("N")[..8];
    private readonly Ledger _ledger = new();

    public SharedBudgetBookTests(RedisServer server)
    {
        _server = server;
        server.Start();
    }

    public void Dispose()
    {
        foreach (var c in _connections) c.Dispose();
    }

    private static BudgetPolicy Team(decimal limit, BudgetPeriod? period = null) =>
        new("team:core", BudgetLevel.Team, "core", limit, period ?? BudgetPeriod.Daily(), BudgetMode.Hard, SoftAction.Warn, Rollover.Off);

    private BudgetBook Replica(out RedisBudgetCounters counters)
    {
        var connection = ConnectionMultiplexer.Connect(_server.ConnectionString);
        _connections.Add(connection);
        counters = new RedisBudgetCounters(connection, _fleet);
        var book = new BudgetBook(_ledger);
        book.UseClock(() => Now);
        book.UseShared(counters, failOpen: false);
        return book;
    }

    [Fact]
    public void Racing_replicas_seed_from_the_ledger_once_and_enforce_one_limit()
    {
        var policy = Team(1m);
        _ledger.Spent = NanoUsd.FromUsd(0.4m);
        var books = Enumerable.Range(0, 4).Select(_ => Replica(out RedisBudgetCounters _)).ToList();
        var granted = new ConcurrentBag<BudgetReservation>();
        using var start = new Barrier(books.Count * 2);
        var threads = Enumerable.Range(0, books.Count * 2).Select(t => new Thread(() =>
        {
            var book = books[t % books.Count];
            var counters = book.CountersFor([policy], Now);
            start.SignalAndWait();
            for (var i = 0; i < 20; i++)
                if (book.TryReserve(counters, NanoUsd.FromUsd(0.01m), Now, TimeSpan.FromMinutes(5), null, $"evt_{t}_{i}").Reservation is { } r) granted.Add(r);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        // The ledger's 0.40 counted once, not once per replica: exactly 0.60 of holds fit.
        Assert.Equal(60, granted.Count);
        foreach (var r in granted) books[0].Settle(r, NanoUsd.FromUsd(0.005m));
        Settled(books[0]);
        var snapshot = Assert.Single(books[1].Current());
        Assert.Equal((0.4m + 0.3m, 0m), (snapshot.Spent, snapshot.Reserved));
    }

    [Fact]
    public void A_hold_refused_on_one_replica_names_the_budget_with_the_fleets_totals()
    {
        var policy = Team(0.05m);
        var a = Replica(out _);
        var b = Replica(out _);
        var held = a.TryReserve(a.CountersFor([policy], Now), NanoUsd.FromUsd(0.04m), Now, TimeSpan.FromMinutes(5), null, "evt_a");
        Assert.NotNull(held.Reservation);
        var refused = b.TryReserve(b.CountersFor([policy], Now), NanoUsd.FromUsd(0.02m), Now, TimeSpan.FromMinutes(5), null, "evt_b");
        Assert.Null(refused.Reservation);
        Assert.Equal(("team:core", 0.04m), (refused.RefusedBy!.BudgetId, refused.RefusedBy.Reserved));
        Assert.Equal(NanoUsd.FromUsd(0.01m), refused.AvailableNanos);
        // Settling twice (a retried settle) books once.
        a.Settle(held.Reservation, NanoUsd.FromUsd(0.01m));
        a.Settle(held.Reservation, NanoUsd.FromUsd(0.01m));
        Settled(a);
        Assert.NotNull(b.TryReserve(b.CountersFor([policy], Now), NanoUsd.FromUsd(0.04m), Now, TimeSpan.FromMinutes(5), null, "evt_c").Reservation);
    }

    [Fact]
    public void A_new_period_starts_a_new_counter_at_zero()
    {
        var policy = Team(0.05m);
        var book = Replica(out _);
        var today = book.TryReserve(book.CountersFor([policy], Now), NanoUsd.FromUsd(0.05m), Now, TimeSpan.FromMinutes(5), null, "evt_1");
        book.Settle(today.Reservation, NanoUsd.FromUsd(0.05m));
        Settled(book);
        Assert.Null(book.TryReserve(book.CountersFor([policy], Now), 1, Now, TimeSpan.FromMinutes(5), null, "evt_2").Reservation);
        _ledger.Spent = 0; // the ledger has nothing in tomorrow's window yet
        var tomorrow = Now.AddDays(1);
        Assert.NotNull(book.TryReserve(book.CountersFor([policy], tomorrow), NanoUsd.FromUsd(0.05m), tomorrow, TimeSpan.FromMinutes(5), null, "evt_3").Reservation);
    }

    [Fact]
    public void Reconciliation_reports_drift_from_the_ledger_and_corrects_it_once_it_is_stable()
    {
        var policy = Team(10m);
        var book = Replica(out var counters);
        var r = book.TryReserve(book.CountersFor([policy], Now), 1000, Now, TimeSpan.FromMinutes(5), null, "evt_1");
        book.Settle(r.Reservation, 700);
        Settled(book);
        _ledger.Spent = 700;
        Assert.Equal(0, Assert.Single(book.Reconcile(Now)).DriftNanos);

        _ledger.Spent = 1200; // an offline import added 500 to the ledger
        var first = Assert.Single(book.Reconcile(Now));
        Assert.Equal((500L, false), (first.DriftNanos, first.Corrected));
        Assert.Equal(500, book.CounterDrift["team:core"]);
        var second = Assert.Single(book.Reconcile(Now));
        Assert.Equal((500L, true), (second.DriftNanos, second.Corrected));
        Assert.Equal(0, Assert.Single(book.Reconcile(Now)).DriftNanos);
        var slot = new SharedCounterSlot("team:core:" + policy.Period.WindowAt(Now).Start.ToUnixTimeSeconds(), true, 0, false, Now, Now.AddDays(3));
        Assert.Equal(1200, counters.Read(slot)!.Spent);
    }

    [Fact]
    public void Fail_closed_throws_while_redis_is_down_and_fail_open_enforces_locally_from_the_ledger_then_returns()
    {
        var policy = Team(0.05m);
        var closed = Replica(out _);
        var open = new BudgetBook(_ledger);
        open.UseClock(() => Now);
        var connection = ConnectionMultiplexer.Connect(_server.ConnectionString);
        _connections.Add(connection);
        open.UseShared(new RedisBudgetCounters(connection, _fleet), failOpen: true);
        _ledger.Spent = NanoUsd.FromUsd(0.03m);
        _server.Stop();
        try
        {
            Assert.Throws<BudgetCountersUnavailableException>(() => closed.TryReserve(closed.CountersFor([policy], Now), 1, Now, TimeSpan.FromMinutes(5), null, "evt_1"));
            // Local counters opened from the ledger: 0.02 left.
            Assert.Null(open.TryReserve(open.CountersFor([policy], Now), NanoUsd.FromUsd(0.03m), Now, TimeSpan.FromMinutes(5), null, "evt_2").Reservation);
            Assert.True(open.UsingLocalCounters);
            Assert.NotNull(open.TryReserve(open.CountersFor([policy], Now), NanoUsd.FromUsd(0.02m), Now, TimeSpan.FromMinutes(5), null, "evt_3").Reservation);
            open.MaintainShared(Now);
            Assert.True(open.UsingLocalCounters);
        }
        finally
        {
            _server.Start();
        }
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (open.UsingLocalCounters && DateTime.UtcNow < deadline)
        {
            open.MaintainShared(Now);
            Thread.Sleep(100);
        }
        Assert.False(open.UsingLocalCounters);
    }

    [Fact]
    public void A_killed_replicas_holds_disappear_within_the_ttl_while_an_active_requests_hold_is_renewed()
    {
        var policy = Team(0.05m);
        var dead = Replica(out _);
        var live = Replica(out _);
        // Long enough that a loaded machine's pauses (a CI build beside the tests) cannot outlast a renewal's margin
        // (2 s was outlasted once, in a fresh-clone CI run with a build beside it).
        var ttl = TimeSpan.FromSeconds(4);
        var lease = new Lease { IsActive = true };
        Assert.NotNull(dead.TryReserve(dead.CountersFor([policy], Now), NanoUsd.FromUsd(0.02m), Now, ttl, null, "evt_dead").Reservation);
        var stream = live.TryReserve(live.CountersFor([policy], Now), NanoUsd.FromUsd(0.02m), Now, ttl, lease, "evt_stream").Reservation;
        Assert.NotNull(stream);
        _connections[0].Dispose(); // the first replica is gone (kill -9): nobody settles or renews its hold
        // The live replica's refresher runs each second; here it runs every 100 ms (the clock it passes moves with it).
        var started = DateTime.UtcNow;
        while (DateTime.UtcNow - started < TimeSpan.FromMilliseconds(8500))
        {
            live.MaintainShared(Now + (DateTime.UtcNow - started));
            Thread.Sleep(100);
        }
        // The dead hold is gone, the streaming one kept: 0.03 left, not 0.01 and not 0.05.
        Assert.Null(live.TryReserve(live.CountersFor([policy], Now), NanoUsd.FromUsd(0.031m), Now, ttl, null, "evt_too_much").Reservation);
        Assert.NotNull(live.TryReserve(live.CountersFor([policy], Now), NanoUsd.FromUsd(0.03m), Now, ttl, null, "evt_fits").Reservation);
    }

    private sealed class Lease : IRequestLease
    {
        public bool IsActive { get; set; }
    }

    /// <summary>Settles go to Redis without waiting: wait (bounded) until this replica has none in flight.</summary>
    private static void Settled(BudgetBook book)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (book.OpenReservations > 0 && DateTime.UtcNow < deadline) Thread.Sleep(10);
        Assert.Equal(0, book.OpenReservations);
    }

    /// <summary>The ledger's spend for any budget and window: what a test sets.</summary>
    private sealed class Ledger : ISpendHistory
    {
        public long Spent { get; set; }
        public long SpentNanos(BudgetPolicy policy, DateTimeOffset from, DateTimeOffset to) => Spent;
    }
}
