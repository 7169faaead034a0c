using System.Collections.Concurrent;

namespace TokenOps.Core.Budgets;

/// <summary>
/// The live counters of every budget in use and the reservations against them. A reservation checks and adds against
/// all of a request's budgets atomically: it takes their gates in ordinal id order (so two requests can never deadlock),
/// refuses if any hard budget would go past its limit, else adds to every one. Settling frees the reservation and books
/// the actual cost; a reservation nobody settles (a bug, a lost task) is expired by <see cref="SweepExpired"/>.
/// Counters open lazily from the ledger (<see cref="ISpendHistory"/>), the source of truth. With shared counters
/// (<see cref="UseShared"/>, BudgetBook.Shared.cs) spent and held live in Redis and these counters mirror them.
/// </summary>
public sealed partial class BudgetBook(ISpendHistory history, Func<BudgetPolicy, DateTimeOffset, decimal>? allowance = null) : IBudgetSnapshots
{
    private readonly ConcurrentDictionary<string, Lazy<BudgetCounter>> _counters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, BudgetReservation> _open = new();
    private long _nextReservation;
    private volatile BudgetPolicySet _policies = BudgetPolicySet.Empty;
    private Func<DateTimeOffset> _now = () => DateTimeOffset.UtcNow;

    public BudgetPolicySet Policies => _policies;

    /// <summary>The clock snapshots read (the gateway passes its TimeProvider).</summary>
    public void UseClock(Func<DateTimeOffset> now) => _now = now;

    /// <summary>Holds not yet settled, shared settles still on their way to Redis included.</summary>
    public int OpenReservations => _open.Count + Volatile.Read(ref _settlesInFlight);

    /// <summary>Swaps in a new policy set. Counters whose budget keeps its period keep their totals; others reopen from the ledger.</summary>
    public void Apply(BudgetPolicySet policies)
    {
        _policies = policies;
        foreach (var (id, lazy) in _counters)
        {
            if (!lazy.IsValueCreated) continue;
            var counter = lazy.Value;
            var next = policies.Find(id);
            if (next is not null && next.SamePeriodAs(counter.Policy))
            {
                lock (counter.Gate) counter.Update(next);
            }
            else
            {
                _counters.TryRemove(new KeyValuePair<string, Lazy<BudgetCounter>>(id, lazy));
                if (next is not null) Rehome(counter, next);
            }
        }
    }

    /// <summary>
    /// A budget whose period changed gets a new counter (opened from the ledger); the holds of requests still in flight
    /// move to it, so they stay reserved there and their cost is booked there, not into the counter that was dropped.
    /// </summary>
    private void Rehome(BudgetCounter dropped, BudgetPolicy policy)
    {
        BudgetCounter? fresh = null;
        foreach (var r in _open.Values)
        {
            if (r.Shared is not null) continue; // its holds are keyed in Redis by the window it was admitted in
            lock (r)
            {
                var i = Array.IndexOf(r.Counters, dropped);
                if (i < 0 || !r.IsOpen) continue;
                var now = _now();
                fresh ??= CounterFor(policy, now);
                lock (fresh.Gate)
                {
                    fresh.RollTo(now);
                    fresh.Reserve(r.Nanos);
                }
                r.Counters[i] = fresh;
            }
        }
    }

    public BudgetCounter CounterFor(BudgetPolicy policy, DateTimeOffset now) =>
        _counters.GetOrAdd(policy.Id, static (_, s) => new Lazy<BudgetCounter>(() => new BudgetCounter(s.policy, s.now, s.history, s.allowance)),
            (policy, now, history, allowance)).Value;

    /// <summary>The request's counters, ordered by id: the lock order.</summary>
    public BudgetCounter[] CountersFor(IReadOnlyList<BudgetPolicy> policies, DateTimeOffset now)
    {
        var counters = new BudgetCounter[policies.Count];
        for (var i = 0; i < counters.Length; i++) counters[i] = CounterFor(policies[i], now);
        Array.Sort(counters, static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        return counters;
    }

    /// <summary>Reserves <paramref name="nanos"/> against every counter, or refuses naming the first hard budget it would exceed.</summary>
    /// <param name="request">The request the hold covers: while it is active the hold never expires, whatever its age (a stream
    /// may outlive the TTL; freeing its hold then would let new requests spend the same money again). Null: the TTL alone.</param>
    /// <param name="reservationId">The ledger event id (shared counters key the hold and its settle by it); null: a fresh id.</param>
    public ReserveResult TryReserve(BudgetCounter[] counters, long nanos, DateTimeOffset now, TimeSpan ttl, IRequestLease? request = null,
        string? reservationId = null)
    {
        if (_shared is not null)
        {
            // Synchronous callers (tests, tools) wait; the gateway's admission awaits TryReserveAsync instead.
            if (TryReserveSharedAsync(counters, nanos, now, ttl, request, reservationId, sync: true).GetAwaiter().GetResult() is { } shared) return shared;
            counters = Reopened(counters, now); // fail-open: this replica's own counters, freshly opened from the ledger
        }
        return TryReserveLocal(counters, nanos, now, ttl, request);
    }

    /// <summary>
    /// <see cref="TryReserve"/> for the request path: completes synchronously on in-process counters, and awaits the
    /// one round trip to shared counters without holding a thread.
    /// </summary>
    public async ValueTask<ReserveResult> TryReserveAsync(BudgetCounter[] counters, long nanos, DateTimeOffset now, TimeSpan ttl, IRequestLease? request = null,
        string? reservationId = null)
    {
        if (_shared is not null && !_usingLocal)
        {
            if (await TryReserveSharedAsync(counters, nanos, now, ttl, request, reservationId, sync: false) is { } shared) return shared;
            counters = Reopened(counters, now);
        }
        return TryReserveLocal(counters, nanos, now, ttl, request);
    }

    private ReserveResult TryReserveLocal(BudgetCounter[] counters, long nanos, DateTimeOffset now, TimeSpan ttl, IRequestLease? request)
    {
        var taken = 0;
        long remaining;
        BudgetCounter? tightest = null;
        try
        {
            for (; taken < counters.Length; taken++) Monitor.Enter(counters[taken].Gate);
            BudgetCounter? refusedBy = null;
            var available = long.MaxValue;
            foreach (var c in counters)
            {
                c.RollTo(now);
                if (!c.Policy.Hard) continue;
                available = Math.Min(available, c.Available);
                if (refusedBy is null && c.Available < nanos) refusedBy = c;
            }
            if (refusedBy is not null) return new ReserveResult(null, refusedBy.Snapshot(), Math.Max(0, available));
            remaining = long.MaxValue;
            foreach (var c in counters)
            {
                c.Reserve(nanos);
                if (c.Available < remaining) (remaining, tightest) = (c.Available, c);
            }
        }
        finally
        {
            for (var i = taken - 1; i >= 0; i--) Monitor.Exit(counters[i].Gate);
        }
        var reservation = new BudgetReservation(Interlocked.Increment(ref _nextReservation), counters, nanos, now, now + ttl, request);
        _open[reservation.Id] = reservation;
        return new ReserveResult(reservation, null, remaining, tightest);
    }

    /// <summary>True when holds live in shared counters (Redis) that outlive this process.</summary>
    public bool IsShared => _shared is not null;

    /// <summary>
    /// Holds <paramref name="nanos"/> on these counters without checking the limits: a hold admitted before this process
    /// started (a batch still running across a restart) that the in-process counters, rebuilt from the ledger, no longer
    /// know. Settled like any reservation.
    /// </summary>
    public BudgetReservation Adopt(BudgetCounter[] counters, long nanos, DateTimeOffset admittedAt, DateTimeOffset expiresAt) =>
        Adopt(counters, nanos, admittedAt, expiresAt, null);

    /// <summary>Adopts a hold; a shared one is mirrored here (the next answer from Redis sets the mirror to its totals).</summary>
    private BudgetReservation Adopt(BudgetCounter[] counters, long nanos, DateTimeOffset admittedAt, DateTimeOffset expiresAt, SharedHold? shared)
    {
        var now = _now();
        foreach (var c in counters)
        {
            lock (c.Gate)
            {
                c.RollTo(now);
                c.Reserve(nanos);
            }
        }
        var reservation = new BudgetReservation(Interlocked.Increment(ref _nextReservation), counters, nanos, admittedAt, expiresAt, null, shared);
        _open[reservation.Id] = reservation;
        return reservation;
    }

    /// <summary>The least any of these budgets, hard or soft, has left after spend and reservations (a read).</summary>
    public long MinAvailable(BudgetCounter[] counters, DateTimeOffset now)
    {
        var min = long.MaxValue;
        foreach (var c in counters)
        {
            lock (c.Gate)
            {
                c.RollTo(now);
                min = Math.Min(min, c.Available);
            }
        }
        return min;
    }

    /// <summary>Soft budgets this much more spend would take past their limit (a read, not a reservation).</summary>
    public List<BudgetCounter> SoftOverruns(BudgetCounter[] counters, long nanos, DateTimeOffset now)
    {
        var over = new List<BudgetCounter>();
        foreach (var c in counters)
        {
            if (c.Policy.Hard) continue;
            lock (c.Gate)
            {
                c.RollTo(now);
                if (c.Available < nanos) over.Add(c);
            }
        }
        return over;
    }

    public static void CountWarning(BudgetCounter counter)
    {
        lock (counter.Gate) counter.CountWarning();
    }

    /// <summary>Frees the reservation and books the actual cost; idempotent (the first call wins, an expired one only books cost).</summary>
    public void Settle(BudgetReservation? reservation, long actualNanos)
    {
        if (reservation is null) return;
        if (reservation.Shared is not null)
        {
            SettleShared(reservation, actualNanos);
            return;
        }
        lock (reservation) // against a concurrent Rehome swapping one of its counters
        {
            var release = reservation.TryClose();
            if (release) _open.TryRemove(reservation.Id, out _);
            else if (!reservation.TryBookLate()) return;
            foreach (var c in reservation.Counters)
                lock (c.Gate) c.Settle(release ? reservation.Nanos : 0, actualNanos, reservation.AdmittedAt);
        }
    }

    /// <summary>
    /// Books spend that came without a reservation (usage reported after the fact: a developer's agent logs pushed to the
    /// gateway). It counts in the period of <paramref name="at"/>, as a settled request would. Shared counters (Redis) see it
    /// in this replica's mirror at once and in Redis at the next reconcile against the ledger.
    /// </summary>
    public void Record(BudgetCounter[] counters, long nanos, DateTimeOffset at)
    {
        if (nanos <= 0) return;
        var now = _now();
        foreach (var c in counters)
        {
            lock (c.Gate)
            {
                c.RollTo(now);
                c.Settle(0, nanos, at);
            }
        }
    }

    /// <summary>Releases reservations past their expiry whose request is gone (nothing settled them); returns how many.</summary>
    public int SweepExpired(DateTimeOffset now)
    {
        var expired = 0;
        foreach (var (id, r) in _open)
        {
            if (r.ExpiresAt > now || r.Request is { IsActive: true }) continue;
            lock (r)
            {
                if (!r.TryExpire()) continue;
                _open.TryRemove(id, out _);
                if (r.Shared is not null) { expired++; continue; } // Redis drops the hold itself, by its TTL
                foreach (var c in r.Counters)
                    lock (c.Gate) c.Settle(r.Nanos, 0, r.AdmittedAt);
            }
            expired++;
        }
        return expired;
    }

    public BudgetSnapshot Snapshot(BudgetCounter counter, DateTimeOffset now)
    {
        lock (counter.Gate)
        {
            counter.RollTo(now);
            return counter.Snapshot();
        }
    }

    /// <summary>Every configured budget (opening its counter if needed) and every poker hand in use.</summary>
    public IReadOnlyList<BudgetSnapshot> Current()
    {
        var now = _now();
        foreach (var policy in _policies.Configured) CounterFor(policy, now);
        RefreshMirrors(now);
        return _counters.Values.Select(l => Snapshot(l.Value, now)).OrderBy(s => s.BudgetId, StringComparer.Ordinal).ToList();
    }

    /// <summary>Snapshots of the budgets a person (and their team, and a project) fall under.</summary>
    public IReadOnlyList<BudgetSnapshot> For(string? person, string? team, string? project, DateTimeOffset now) =>
        _policies.Applicable(person, team, project).Select(p => Snapshot(CounterFor(p, now), now)).ToList();
}

/// <summary>
/// A reservation, or the hard budget that refused it. <see cref="AvailableNanos"/>: on refusal, what the tightest hard
/// budget still has (for clamping); on success, what the tightest budget has left after this reservation.
/// </summary>
public sealed record ReserveResult(BudgetReservation? Reservation, BudgetSnapshot? RefusedBy, long AvailableNanos, BudgetCounter? Tightest = null);

/// <summary>The request a reservation covers, as the sweeper sees it: active until the request has ended, however it ended.</summary>
public interface IRequestLease
{
    bool IsActive { get; }
}

/// <summary>One request's hold on its budgets until it settles (or, once its request is gone, the sweeper expires it).</summary>
public sealed class BudgetReservation(long id, BudgetCounter[] counters, long nanos, DateTimeOffset admittedAt, DateTimeOffset expiresAt,
    IRequestLease? request = null, SharedHold? shared = null)
{
    private int _state; // 0 open, 1 settled, 2 expired, 3 expired then booked

    public long Id { get; } = id;
    public BudgetCounter[] Counters { get; } = counters;
    public long Nanos { get; } = nanos;
    public DateTimeOffset AdmittedAt { get; } = admittedAt;
    /// <summary>Moves on when a shared hold is renewed for a request still streaming.</summary>
    public DateTimeOffset ExpiresAt { get; internal set; } = expiresAt;
    public IRequestLease? Request { get; } = request;
    /// <summary>Set when the hold is in the shared counters (Redis) rather than in this process.</summary>
    public SharedHold? Shared { get; } = shared;

    internal bool IsOpen => Volatile.Read(ref _state) == 0;
    internal bool TryClose() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;
    internal bool TryExpire() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;
    internal bool TryBookLate() => Interlocked.CompareExchange(ref _state, 3, 2) == 2;
}

/// <summary>A hold in the shared counters: its id (the ledger event id) and the slots it holds, in reserve order.</summary>
public sealed record SharedHold(string Id, SharedCounterSlot[] Slots, TimeSpan Ttl);
