namespace TokenOps.Core.Budgets;

/// <summary>
/// Budget counters shared by a fleet of gateways (Redis): spent and held nano-USD per budget and period window, so N
/// replicas enforce one limit. The limit itself (base + rollover carry + allowance) is computed by each replica and
/// passed in. Every call may throw <see cref="BudgetCountersUnavailableException"/>; the book then fails closed or
/// falls back to its in-process counters.
/// </summary>
public interface ISharedBudgetCounters
{
    /// <summary>
    /// Holds <paramref name="nanos"/> against every slot, all or nothing, under <paramref name="reservationId"/> for
    /// <paramref name="ttl"/>. Refuses naming the first hard slot (in the order given) that would go past its limit.
    /// Refuses to run when a slot was never seeded (<see cref="SharedReserveResult.Unseeded"/>): seed, then retry.
    /// </summary>
    SharedReserveResult TryReserve(string reservationId, IReadOnlyList<SharedCounterSlot> slots, long nanos, TimeSpan ttl);

    /// <summary><see cref="TryReserve"/> without blocking a thread while Redis answers (the gateway's admission).</summary>
    Task<SharedReserveResult> TryReserveAsync(string reservationId, IReadOnlyList<SharedCounterSlot> slots, long nanos, TimeSpan ttl);

    /// <summary>Seeds a slot's spend from the ledger unless another replica already did (first writer wins).</summary>
    void Seed(SharedCounterSlot slot, IReadOnlyList<SeedField> spent);

    /// <summary><see cref="Seed"/> without blocking a thread (admission seeds on a period's first request).</summary>
    Task SeedAsync(SharedCounterSlot slot, IReadOnlyList<SeedField> spent);

    /// <summary>
    /// Frees the reservation's holds (if still there) and books <paramref name="actualNanos"/> to each slot's
    /// <paramref name="spentFields"/> entry, once per reservation id however often it is called.
    /// </summary>
    void Settle(string reservationId, IReadOnlyList<SharedCounterSlot> slots, IReadOnlyList<string> spentFields, long actualNanos);

    /// <summary><see cref="Settle"/> without blocking a thread (the gateway settles in its pipeline's finally).</summary>
    Task SettleAsync(string reservationId, IReadOnlyList<SharedCounterSlot> slots, IReadOnlyList<string> spentFields, long actualNanos);

    /// <summary>Moves the expiry of the reservation's holds to now + <paramref name="ttl"/> (a long stream keeps its hold).</summary>
    void Renew(string reservationId, IReadOnlyList<SharedCounterSlot> slots, TimeSpan ttl);

    /// <summary>A slot's spent and held nano-USD now (expired holds dropped); null when not seeded.</summary>
    SharedCounterState? Read(SharedCounterSlot slot);

    /// <summary>Adds <paramref name="nanos"/> (may be negative) to one spent field: reconciliation's correction.</summary>
    void Adjust(SharedCounterSlot slot, string spentField, long nanos);

    /// <summary>True when the shared store answers (the fail-open book probes it to go back to shared counters).</summary>
    bool IsReachable();
}

/// <summary>
/// One budget's counter in one period window. Calendar budgets count into <see cref="SharedCounterSlot.CalendarField"/>;
/// rolling ones keep a field per day and count the days from <see cref="WindowStart"/> on.
/// </summary>
/// <param name="Name">Budget id and window start: a new period is a new counter that starts at zero.</param>
/// <param name="Limit">Nano-USD; only enforced when <paramref name="Hard"/>.</param>
/// <param name="ExpireAt">When the shared counter may be dropped (period end plus a grace).</param>
public sealed record SharedCounterSlot(string Name, bool Hard, long Limit, bool Rolling, DateTimeOffset WindowStart, DateTimeOffset ExpireAt)
{
    public const string CalendarField = "spent";

    /// <summary>The field a rolling budget books a day's spend to.</summary>
    public static string DayField(DateTimeOffset dayStart) => "d:" + dayStart.ToUnixTimeSeconds();
}

public readonly record struct SeedField(string Field, long Nanos);

public sealed record SharedCounterState(long Spent, long Held);

/// <summary>
/// The shared reserve's answer. Granted: <see cref="States"/> are each slot's totals after the hold. Refused:
/// <see cref="RefusedIndex"/> names the slot and <see cref="States"/> hold the totals it saw. Unseeded: seed
/// <see cref="UnseededIndex"/> and retry.
/// </summary>
public sealed record SharedReserveResult(bool Granted, int RefusedIndex, int UnseededIndex, IReadOnlyList<SharedCounterState> States)
{
    public bool Unseeded => UnseededIndex >= 0;
}

/// <summary>The shared counters did not answer (Redis down or timing out).</summary>
public sealed class BudgetCountersUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
