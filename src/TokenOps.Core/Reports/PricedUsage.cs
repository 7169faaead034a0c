using TokenOps.Core.Import;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;

namespace TokenOps.Core.Reports;

/// <summary>One de-duplicated request with its cost, the unit every report aggregates.</summary>
public readonly record struct PricedUsage(
    long TimestampMs, string Model, string? Session, string? Project,
    long Input, long Output, long CacheCreation, long CacheRead, decimal Cost)
{
    public long TotalTokens => Input + Output + CacheCreation + CacheRead;
}

/// <summary>How a report prices a log line (ccusage's <c>--mode</c>).</summary>
public enum CostMode
{
    /// <summary><c>costUSD</c> when the line carries it, else the catalog.</summary>
    Auto,
    /// <summary>Always the catalog.</summary>
    Calculate,
    /// <summary>Only <c>costUSD</c>; 0 when absent; no catalog needed.</summary>
    Display,
}

/// <summary>
/// Prices usage events with the catalog (<see cref="CostCalculator"/>: the provider rule, where a long-context tier
/// reprices the whole request) or with the <c>costUSD</c> the log line carried, per <see cref="CostMode"/>.
/// A model the catalog does not know cannot be priced: <see cref="TryPrice"/> says so and the caller skips and counts it
/// (except in display mode, which needs no catalog).
/// </summary>
public sealed class UsagePricer(PriceCatalog? catalog, CostMode mode)
{
    private readonly Dictionary<string, ModelPrice?> _prices = new(StringComparer.Ordinal);

    public CostMode Mode => mode;

    public bool TryPrice(in UsageEvent e, out PricedUsage priced, out string? error)
    {
        error = null;
        decimal cost;
        if (mode == CostMode.Display || (mode == CostMode.Auto && e.HasCost))
        {
            cost = e.HasCost ? NanoUsd.ToUsd(e.CostNanos) : 0m;
        }
        else if (Lookup(e.Model) is { } price)
        {
            cost = CostCalculator.Compute(price, ToTokenUsage(e)).Total;
        }
        else
        {
            priced = default;
            error = $"unknown model '{e.Model}'";
            return false;
        }
        priced = new PricedUsage(e.TimestampMs, e.ReportModel, e.SessionId, e.Project, e.Input, e.Output, e.CacheCreation, e.CacheRead, cost);
        return true;
    }

    /// <summary>The catalog price for a model, or null when it has none (unknown or unpriced).</summary>
    public ModelPrice? Lookup(string model)
    {
        if (catalog is null) return null;
        if (_prices.TryGetValue(model, out var cached)) return cached;
        ModelPrice? found = catalog.TryGet(model, out var p) && p.IsPriced ? p
            : catalog.TryGet("anthropic/" + model, out p) && p.IsPriced ? p : null;
        _prices[model] = found;
        return found;
    }

    /// <summary>Canonical buckets of a log event (REFERENCE.md 3.4).</summary>
    public static TokenUsage ToTokenUsage(in UsageEvent e) => new()
    {
        UncachedInput = e.Input,
        CacheRead = e.CacheRead,
        CacheWrite5m = e.CacheCreation - e.Cache1h,
        CacheWrite1h = e.Cache1h,
        Output = e.Output,
        Reasoning = e.Reasoning,
    };
}
