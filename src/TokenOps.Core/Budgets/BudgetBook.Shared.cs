using System.Collections.Concurrent;

namespace TokenOps.Core.Budgets;

/// <summary>
/// The book over shared counters (Redis): reserve, settle and renew go to <see cref="ISharedBudgetCounters"/>, keyed by
/// budget id and period window, and the in-process counters mirror the totals Redis returns (for reads such as soft
/// overruns and status, which do not ask Redis). The limit (base + rollover carry + allowance) is still computed here.
/// When Redis is unreachable the book either throws <see cref="BudgetCountersUnavailableException"/> (fail-closed) or
/// enforces with its own counters reopened from the ledger (fail-open) until <see cref="MaintainShared"/> finds Redis back.
/// </summary>
public sealed partial class BudgetBook
{
    /// <summary>How long a calendar counter outlives its window in Redis (late settles of long requests still land).</summary>
    private static readonly TimeSpan KeyGrace = TimeSpan.FromDays(3);
    private readonly ConcurrentDictionary<string, long> _drift = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _driftSeen = new(StringComparer.Ordinal);
    private ISharedBudgetCounters? _shared;
    private bool _failOpen;
    private volatile bool _usingLocal;
    private Action<string> _log = static _ => { };

    /// <summary>Keeps spent and held in <paramref name="shared"/> from now on (composition calls this once, before any request).</summary>
    public void UseShared(ISharedBudgetCounters shared, bool failOpen, Action<string>? log = null)
    {
        _shared = shared;
        _failOpen = failOpen;
        _log = log ?? _log;
    }

    public bool HasSharedCounters => _shared is not null;

    /// <summary>True while fail-open enforcement runs on this process's counters because Redis is unreachable.</summary>
    public bool UsingLocalCounters => _usingLocal;

    /// <summary>The last reconciliation's ledger minus shared spend, in nano-USD, by budget id (0: in agreement).</summary>
    public IReadOnlyDictionary<string, long> CounterDrift => _drift;

    private int _settlesInFlight;

    private async ValueTask<ReserveResult?> TryReserveSharedAsync(BudgetCounter[] counters, long nanos, DateTimeOffset now, TimeSpan ttl, IRequestLease? request,
        string? reservationId, bool sync)
    {
        if (_usingLocal) return null;
        var id = reservationId ?? "res_" + Guid.NewGuid().ToString("N");
        var slots = new SharedCounterSlot[counters.Length];
        for (var i = 0; i < slots.Length; i++) slots[i] = SlotOf(counters[i], now);
        try
        {
            // Each pass either answers or seeds one counter that was never seeded, so this ends.
            for (var attempt = 0; attempt <= slots.Length; attempt++)
            {
                var result = sync ? _shared!.TryReserve(id, slots, nanos, ttl) : await _shared!.TryReserveAsync(id, slots, nanos, ttl).ConfigureAwait(false);
                if (result.Unseeded)
                {
                    var fields = SeedFields(counters[result.UnseededIndex], slots[result.UnseededIndex], now);
                    if (sync) _shared.Seed(slots[result.UnseededIndex], fields);
                    else await _shared.SeedAsync(slots[result.UnseededIndex], fields).ConfigureAwait(false);
                    continue;
                }
                Mirror(counters, result.States);
                if (!result.Granted)
                {
                    var available = long.MaxValue;
                    for (var i = 0; i < slots.Length; i++)
                        if (slots[i].Hard) available = Math.Min(available, slots[i].Limit - result.States[i].Spent - result.States[i].Held);
                    var refusedBy = counters[result.RefusedIndex];
                    BudgetSnapshot snapshot;
                    lock (refusedBy.Gate) snapshot = refusedBy.Snapshot();
                    return new ReserveResult(null, snapshot, Math.Max(0, available));
                }
                var remaining = long.MaxValue;
                BudgetCounter? tightest = null;
                for (var i = 0; i < slots.Length; i++)
                {
                    var left = slots[i].Limit - result.States[i].Spent - result.States[i].Held;
                    if (left < remaining) (remaining, tightest) = (left, counters[i]);
                }
                var reservation = new BudgetReservation(Interlocked.Increment(ref _nextReservation), counters, nanos, now, now + ttl, request,
                    new SharedHold(id, slots, ttl));
                _open[reservation.Id] = reservation;
                return new ReserveResult(reservation, null, remaining, tightest);
            }
            throw new InvalidOperationException("Shared budget counters stayed unseeded after seeding each of them");
        }
        catch (BudgetCountersUnavailableException ex) when (_failOpen)
        {
            GoLocal(ex.Message);
            return null;
        }
    }

    private void SettleShared(BudgetReservation reservation, long actualNanos)
    {
        bool release;
        lock (reservation)
        {
            release = reservation.TryClose();
            if (release) _open.TryRemove(reservation.Id, out _);
            else if (!reservation.TryBookLate()) return;
        }
        var hold = reservation.Shared!;
        var fields = new string[hold.Slots.Length];
        for (var i = 0; i < fields.Length; i++)
            fields[i] = hold.Slots[i].Rolling
                ? SharedCounterSlot.DayField(reservation.Counters[i].Policy.Period.DayStart(reservation.AdmittedAt))
                : SharedCounterSlot.CalendarField;
        // This replica's mirror follows at once; the next reserve or read takes Redis's totals again.
        foreach (var c in reservation.Counters)
            lock (c.Gate) c.Settle(release ? reservation.Nanos : 0, actualNanos, reservation.AdmittedAt);
        // Settling runs in the request's finally: it is sent without waiting (idempotent, so order does not matter).
        Interlocked.Increment(ref _settlesInFlight);
        _ = SendSettleAsync(reservation, hold, fields, actualNanos);
    }

    private async Task SendSettleAsync(BudgetReservation reservation, SharedHold hold, string[] fields, long actualNanos)
    {
        try
        {
            await _shared!.SettleAsync(hold.Id, hold.Slots, fields, actualNanos).ConfigureAwait(false);
        }
        catch (BudgetCountersUnavailableException ex)
        {
            // The hold ages out in Redis by its TTL; the cost is in the ledger, which reconciliation and seeding read.
            _log($"Budget settle not booked in Redis ({ex.Message}); the hold expires by its TTL and reconciliation books the cost from the ledger");
            if (_failOpen)
            {
                GoLocal(ex.Message);
                var now = _now();
                foreach (var c in reservation.Counters)
                {
                    var local = CounterFor(c.Policy, now);
                    lock (local.Gate) local.Settle(0, actualNanos, reservation.AdmittedAt);
                }
            }
        }
        catch (Exception ex)
        {
            _log($"Budget settle of {hold.Id} failed: {ex.Message}");
        }
        finally
        {
            Interlocked.Decrement(ref _settlesInFlight);
        }
    }

    /// <summary>
    /// Called every second: renews the shared holds of requests still active (a long stream keeps its hold past the
    /// TTL) and, while fail-open runs on local counters, goes back to Redis once it answers.
    /// </summary>
    public void MaintainShared(DateTimeOffset now)
    {
        if (_shared is null) return;
        if (_usingLocal)
        {
            if (!_shared.IsReachable()) return;
            _usingLocal = false;
            _log("Redis budget counters reachable again: enforcing with the shared counters");
        }
        foreach (var r in _open.Values)
        {
            if (r.Shared is not { } hold || r.Request is not { IsActive: true } || r.ExpiresAt - now > hold.Ttl / 2) continue;
            try
            {
                _shared.Renew(hold.Id, hold.Slots, hold.Ttl);
                r.ExpiresAt = now + hold.Ttl;
            }
            catch (BudgetCountersUnavailableException ex)
            {
                _log($"Budget hold {hold.Id} not renewed ({ex.Message})");
                return;
            }
        }
    }

    /// <summary>
    /// Compares every open counter's shared spend with the ledger (the source of truth) and records the drift. A drift
    /// seen twice in a row with the same value is corrected by adding it to Redis (an increment, so settles that land
    /// meanwhile are kept); a drift that changes between passes is ledger lag (rows not yet written) and is left alone.
    /// </summary>
    public IReadOnlyList<CounterDriftReport> Reconcile(DateTimeOffset now)
    {
        var reports = new List<CounterDriftReport>();
        if (_shared is null || _usingLocal) return reports;
        foreach (var lazy in _counters.Values.ToList())
        {
            var counter = lazy.Value;
            var slot = SlotOf(counter, now);
            var state = _shared.Read(slot);
            if (state is null) continue;
            var window = counter.Policy.Period.WindowAt(now);
            var ledger = slot.Rolling
                ? BudgetCounter.LedgerDays(counter.Policy, window, history).Sum(d => d.Spent)
                : history.SpentNanos(counter.Policy, window.Start, window.End);
            var drift = ledger - state.Spent;
            _drift[counter.Id] = drift;
            var corrected = false;
            if (drift == 0) _driftSeen.TryRemove(slot.Name, out _);
            else if (_driftSeen.TryGetValue(slot.Name, out var seen) && seen == drift)
            {
                _shared.Adjust(slot, slot.Rolling ? SharedCounterSlot.DayField(counter.Policy.Period.DayStart(now)) : SharedCounterSlot.CalendarField, drift);
                _driftSeen.TryRemove(slot.Name, out _);
                corrected = true;
            }
            else _driftSeen[slot.Name] = drift;
            reports.Add(new CounterDriftReport(counter.Id, slot.Name, drift, corrected));
        }
        return reports;
    }

    /// <summary>Takes Redis's totals into the in-process counters (status, dashboard and metrics read them).</summary>
    private void RefreshMirrors(DateTimeOffset now)
    {
        if (_shared is null || _usingLocal) return;
        try
        {
            foreach (var lazy in _counters.Values)
            {
                var counter = lazy.Value;
                if (_shared.Read(SlotOf(counter, now)) is { } state)
                    lock (counter.Gate) counter.Mirror(state.Spent, state.Held);
            }
        }
        catch (BudgetCountersUnavailableException)
        {
            // Reads show this replica's last view; the next reserve says whether Redis is down.
        }
    }

    private void GoLocal(string reason)
    {
        if (_usingLocal) return;
        lock (_counters)
        {
            if (_usingLocal) return;
            // The mirrors hold Redis's last totals; local enforcement starts from the ledger, which has every replica's spend.
            _counters.Clear();
            _usingLocal = true;
        }
        _log($"Redis budget counters unreachable ({reason}): fail-open, enforcing with this gateway's own counters opened from the ledger until Redis is back");
    }

    private BudgetCounter[] Reopened(BudgetCounter[] counters, DateTimeOffset now) =>
        CountersFor(counters.Select(c => c.Policy).ToList(), now);

    private static SharedCounterSlot SlotOf(BudgetCounter counter, DateTimeOffset now)
    {
        lock (counter.Gate)
        {
            counter.RollTo(now);
            return Slot(counter.Policy, counter.Window, counter.Limit);
        }
    }

    /// <summary>The slot a hold taken at <paramref name="at"/> went to (its period's window then, not now).</summary>
    private static SharedCounterSlot SlotAt(BudgetCounter counter, DateTimeOffset at)
    {
        lock (counter.Gate) return Slot(counter.Policy, counter.Policy.Period.WindowAt(at), counter.Limit);
    }

    private static SharedCounterSlot Slot(BudgetPolicy policy, PeriodWindow window, long limit) => policy.Period.Resets
        ? new SharedCounterSlot($"{policy.Id}:{window.Start.ToUnixTimeSeconds()}", policy.Hard, limit, false, window.Start, window.End + KeyGrace)
        : new SharedCounterSlot($"{policy.Id}:rolling{policy.Period.Days}", policy.Hard, limit, true, window.Start, window.End + KeyGrace);

    /// <summary>
    /// Takes over a hold another process put in the shared counters (a batch or background response admitted before this
    /// process started, under <paramref name="holdId"/>), without holding anything again: Redis still has it (or it aged
    /// out). Settling it frees that hold and books the actual cost once, like the process that took it would have.
    /// </summary>
    public BudgetReservation AdoptShared(string holdId, BudgetCounter[] counters, long nanos, DateTimeOffset admittedAt, DateTimeOffset expiresAt)
    {
        var slots = new SharedCounterSlot[counters.Length];
        for (var i = 0; i < slots.Length; i++) slots[i] = SlotAt(counters[i], admittedAt);
        return Adopt(counters, nanos, admittedAt, expiresAt, new SharedHold(holdId, slots, expiresAt - admittedAt));
    }

    /// <summary>The ledger's spend in the slot's window: one field, or one per day for a rolling budget.</summary>
    private SeedField[] SeedFields(BudgetCounter counter, SharedCounterSlot slot, DateTimeOffset now)
    {
        var policy = counter.Policy;
        var window = policy.Period.WindowAt(now);
        return slot.Rolling
            ? BudgetCounter.LedgerDays(policy, window, history).Where(d => d.Spent != 0).Select(d => new SeedField(SharedCounterSlot.DayField(d.Day), d.Spent)).ToArray()
            : [new SeedField(SharedCounterSlot.CalendarField, history.SpentNanos(policy, window.Start, window.End))];
    }

    private static void Mirror(BudgetCounter[] counters, IReadOnlyList<SharedCounterState> states)
    {
        for (var i = 0; i < counters.Length; i++)
            lock (counters[i].Gate) counters[i].Mirror(states[i].Spent, states[i].Held);
    }
}

/// <summary>One counter's reconciliation: ledger minus shared spend (nano-USD), and whether this pass corrected it.</summary>
public sealed record CounterDriftReport(string BudgetId, string Counter, long DriftNanos, bool Corrected);
