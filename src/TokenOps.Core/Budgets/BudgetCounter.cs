using TokenOps.Core.Pricing;

namespace TokenOps.Core.Budgets;

/// <summary>Spend already in the ledger (the source of truth), for opening a counter: its current period and, for rollover, the one before.</summary>
public interface ISpendHistory
{
    long SpentNanos(BudgetPolicy policy, DateTimeOffset from, DateTimeOffset to);
}

/// <summary>
/// One budget's live counters in nano-USD: spent in the current period, reserved by requests in flight, and the limit
/// (base + rollover carry + allowances). All reads and writes happen under <see cref="Gate"/>; a reservation takes the
/// gates of every budget it touches in one fixed order (<see cref="BudgetBook"/>).
/// </summary>
public sealed class BudgetCounter
{
    private readonly Func<BudgetPolicy, DateTimeOffset, decimal> _allowance;
    private readonly SortedDictionary<DateTimeOffset, long>? _days;
    private PeriodWindow _window;
    private long _base, _extra, _spent, _reserved;

    internal object Gate { get; } = new();

    public BudgetCounter(BudgetPolicy policy, DateTimeOffset now, ISpendHistory history, Func<BudgetPolicy, DateTimeOffset, decimal>? allowance = null)
    {
        Policy = policy;
        _allowance = allowance ?? ((_, _) => 0m);
        _base = NanoUsd.FromUsd(policy.Limit);
        _window = policy.Period.WindowAt(now);
        if (policy.Period.Resets)
        {
            _spent = history.SpentNanos(policy, _window.Start, _window.End);
            var carry = 0L;
            if (policy.Rollover.Enabled)
            {
                var previous = policy.Period.Previous(_window);
                carry = Carry(history.SpentNanos(policy, previous.Start, previous.End));
            }
            _extra = carry + NanoUsd.FromUsd(_allowance(policy, _window.Start));
        }
        else
        {
            _days = new SortedDictionary<DateTimeOffset, long>();
            foreach (var (day, spent) in LedgerDays(policy, _window, history))
            {
                if (spent != 0) _days[day] = spent;
                _spent += spent;
            }
        }
        PeriodsOpened = 1;
    }

    public BudgetPolicy Policy { get; private set; }
    public string Id => Policy.Id;

    /// <summary>How many periods this counter has opened (1 at creation); tests prove a boundary resets spend exactly once.</summary>
    public int PeriodsOpened { get; private set; }

    /// <summary>Soft-limit crossings this period (the alerts feature reads them from status).</summary>
    public int Warnings { get; private set; }

    // Callers hold Gate for everything below.
    internal long Limit => _base + _extra;
    internal long Spent => _spent;
    internal long Reserved => _reserved;
    internal long Available => Limit - _spent - _reserved;
    internal PeriodWindow Window => _window;

    internal void RollTo(DateTimeOffset now)
    {
        if (now < _window.End) return;
        var previous = _window;
        _window = Policy.Period.WindowAt(now);
        if (_days is not null)
        {
            // Rolling: days older than the window drop out; spend never resets at once.
            foreach (var day in _days.Keys.Where(d => d < _window.Start).ToList()) _days.Remove(day);
            _spent = _days.Values.Sum();
            return;
        }
        // Calendar: a contiguous previous period is the one this counter just counted; an idle gap spent nothing.
        var previousSpent = previous.End == _window.Start ? _spent : 0;
        _spent = 0;
        _extra = (Policy.Rollover.Enabled ? Carry(previousSpent) : 0) + NanoUsd.FromUsd(_allowance(Policy, _window.Start));
        Warnings = 0;
        PeriodsOpened++;
    }

    internal void Reserve(long nanos) => _reserved += nanos;

    /// <summary>Frees a reservation and books the actual cost to the period the request was admitted in.</summary>
    internal void Settle(long reservedNanos, long actualNanos, DateTimeOffset admittedAt)
    {
        _reserved -= reservedNanos;
        if (actualNanos == 0) return;
        if (_days is not null)
        {
            var day = Policy.Period.DayStart(admittedAt);
            if (day < _window.Start) return;
            _days[day] = _days.GetValueOrDefault(day) + actualNanos;
            if (day < _window.End) _spent += actualNanos;
        }
        else if (_window.Contains(admittedAt))
        {
            _spent += actualNanos;
        }
    }

    internal void CountWarning() => Warnings++;

    /// <summary>Takes the shared counters' totals (Redis) as this replica's view, for reads that do not ask Redis.</summary>
    internal void Mirror(long spent, long held)
    {
        _spent = spent;
        _reserved = held;
    }

    /// <summary>The ledger's spend per local day of a rolling window.</summary>
    internal static IEnumerable<(DateTimeOffset Day, long Spent)> LedgerDays(BudgetPolicy policy, PeriodWindow window, ISpendHistory history)
    {
        for (var day = window.Start; day < window.End; day = policy.Period.DayStart(day.AddHours(36)))
            yield return (day, history.SpentNanos(policy, day, policy.Period.DayStart(day.AddHours(36))));
    }

    /// <summary>A new policy with the same period keeps the live totals; only the base limit changes.</summary>
    internal void Update(BudgetPolicy policy)
    {
        Policy = policy;
        _base = NanoUsd.FromUsd(policy.Limit);
    }

    internal BudgetSnapshot Snapshot() => new(Policy.Id, Policy.Level, Policy.Name, NanoUsd.ToUsd(Limit), NanoUsd.ToUsd(_spent),
        NanoUsd.ToUsd(_reserved), _window.Start, _window.End, Policy.Hard);

    private long Carry(long previousSpent) =>
        NanoUsd.FromUsd(Policy.Rollover.Carry(Policy.Limit, NanoUsd.ToUsd(previousSpent)));
}
