using TokenOps.Core.Pricing;

namespace TokenOps.Core.Savings;

/// <summary>
/// What each lever saved on one request, in USD: the request as the client asked for it (the model it named, its own
/// output limit, no cache breakpoints added) priced from the same tokens, minus what it cost. An estimate by nature (the
/// tokens another model would have used are not knowable), and labelled as one wherever it is shown. A lever can save
/// a negative amount (a cascade's failed cheap attempt). The sum over levers is the row's whole saving, so reports by
/// lever reconcile with the ledger: as-asked cost = cost + <see cref="Total"/>.
/// </summary>
public sealed record SavingsBreakdown
{
    public decimal Routed { get; init; }
    public decimal Degraded { get; init; }
    public decimal Capped { get; init; }
    public decimal CacheBreakpoint { get; init; }
    public decimal CacheHit { get; init; }
    public decimal Batch { get; init; }

    public decimal Total => Routed + Degraded + Capped + CacheBreakpoint + CacheHit + Batch;

    public bool IsZero => Routed == 0 && Degraded == 0 && Capped == 0 && CacheBreakpoint == 0 && CacheHit == 0 && Batch == 0;

    public static readonly SavingsBreakdown Zero = new();

    /// <summary>The amount of one lever by its ledger name.</summary>
    public decimal Of(string lever) => lever switch
    {
        SavingsLevers.Routed => Routed,
        SavingsLevers.Degraded => Degraded,
        SavingsLevers.Capped => Capped,
        SavingsLevers.CacheBreakpoint => CacheBreakpoint,
        SavingsLevers.CacheHit => CacheHit,
        SavingsLevers.Batch => Batch,
        _ => throw new ArgumentOutOfRangeException(nameof(lever), lever, "unknown savings lever"),
    };

    /// <summary>Each lever in nano-USD, rounded one by one: storage keeps these, and a report's total is their sum.</summary>
    public long NanosOf(string lever) => NanoUsd.FromUsd(Of(lever));

    public long TotalNanos => SavingsLevers.All.Sum(NanosOf);

    public static SavingsBreakdown FromNanos(long routed, long degraded, long capped, long cacheBreakpoint, long cacheHit, long batch) => new()
    {
        Routed = NanoUsd.ToUsd(routed), Degraded = NanoUsd.ToUsd(degraded), Capped = NanoUsd.ToUsd(capped),
        CacheBreakpoint = NanoUsd.ToUsd(cacheBreakpoint), CacheHit = NanoUsd.ToUsd(cacheHit), Batch = NanoUsd.ToUsd(batch),
    };
}
