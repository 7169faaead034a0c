using TokenOps.Core.Savings;

namespace TokenOps.Storage;

/// <summary>
/// What the savings levers saved (`tokenops savings`, the dashboard's savings page): per lever, and by team, person,
/// project or model, beside what the requests cost. Read from the rollups, which keep the ledger's savings columns
/// beside its costs in the same write, so every figure reconciles with the ledger: the levers' savings add up to the
/// total saving, which is as-asked minus cost. As-asked is an estimate (the same tokens priced as the client asked);
/// callers label it so.
/// </summary>
public interface ISavingsQueries
{
    /// <summary>
    /// Savings in the filter's range (read at hour precision, as the rollups are), grouped by each dimension asked for, in
    /// one read. Every report carries the same totals and the same six lever rows; <see cref="SavingsDimension.Lever"/>
    /// has no other rows.
    /// </summary>
    IReadOnlyDictionary<SavingsDimension, SavingsReport> Reports(RollupFilter filter, params SavingsDimension[] by);

    /// <summary>One grouping (see <see cref="Reports"/>).</summary>
    SavingsReport Report(RollupFilter filter, SavingsDimension by) => Reports(filter, by)[by];
}

/// <summary>What savings can be grouped by. A model is the one that served (as in every other report).</summary>
public enum SavingsDimension
{
    Lever,
    Team,
    Person,
    Project,
    Model,
}

/// <summary>Nano-USD saved by each lever (<see cref="SavingsLevers"/>): sums of the ledger's saved_* columns. A part can be negative.</summary>
public sealed record LeverNanos(long Routed, long Degraded, long Capped, long CacheBreakpoint, long CacheHit, long Batch)
{
    public static readonly LeverNanos Zero = new(0, 0, 0, 0, 0, 0);

    public long Total => Routed + Degraded + Capped + CacheBreakpoint + CacheHit + Batch;

    public long Of(string lever) => lever switch
    {
        SavingsLevers.Routed => Routed,
        SavingsLevers.Degraded => Degraded,
        SavingsLevers.Capped => Capped,
        SavingsLevers.CacheBreakpoint => CacheBreakpoint,
        SavingsLevers.CacheHit => CacheHit,
        SavingsLevers.Batch => Batch,
        _ => throw new ArgumentOutOfRangeException(nameof(lever), lever, "unknown savings lever"),
    };

    /// <summary>From six values in <see cref="SavingsLevers.All"/> order.</summary>
    public static LeverNanos From(IReadOnlyList<long> v) => new(v[0], v[1], v[2], v[3], v[4], v[5]);

    public static LeverNanos operator +(LeverNanos a, LeverNanos b) => new(a.Routed + b.Routed, a.Degraded + b.Degraded, a.Capped + b.Capped,
        a.CacheBreakpoint + b.CacheBreakpoint, a.CacheHit + b.CacheHit, a.Batch + b.Batch);
}

/// <summary>
/// One group of requests: how many, how many a lever applied to, how many were moved to a cheaper model (routed or
/// degraded to a model that cost less for the tokens used: served ≠ requested and a positive routed + degraded saving),
/// what they cost and what each lever saved.
/// </summary>
public sealed record SavingsRow(string Key, long Requests, long LeveredRequests, long MovedRequests, long CostNanos, LeverNanos Saved)
{
    public long SavedNanos => Saved.Total;

    /// <summary>What the requests would have cost as the client asked them: an estimate, cost + every lever's saving.</summary>
    public long AsAskedNanos => CostNanos + Saved.Total;

    public static SavingsRow Empty(string key) => new(key, 0, 0, 0, 0, LeverNanos.Zero);

    public static SavingsRow operator +(SavingsRow a, SavingsRow b) => a with
    {
        Requests = a.Requests + b.Requests, LeveredRequests = a.LeveredRequests + b.LeveredRequests,
        MovedRequests = a.MovedRequests + b.MovedRequests, CostNanos = a.CostNanos + b.CostNanos, Saved = a.Saved + b.Saved,
    };
}

/// <summary>One lever: the requests it applied to (a request can have several levers) and what this lever saved.</summary>
public sealed record LeverRow(string Lever, long Requests, long SavedNanos);

/// <summary>Savings grouped one way: the groups (biggest saving first), the six levers (always, in ledger order), the totals.</summary>
public sealed record SavingsReport(SavingsDimension By, IReadOnlyList<SavingsRow> Rows, IReadOnlyList<LeverRow> Levers, SavingsRow Total);
