using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;

namespace TokenOps.Core.Savings;

/// <summary>
/// What changed a request from what the client asked for, as the stages that changed it recorded it.
/// </summary>
/// <param name="AskedPrice">The price of the model the client asked for (for <c>auto</c>, the router's baseline), when another model served it.</param>
/// <param name="RoutedPrice">The price of the model the router chose, when a router chose it.</param>
/// <param name="Degraded">A soft budget then served a cheaper model than the one asked for (or routed to).</param>
/// <param name="CacheBreakpointsAdded">TokenOps added prompt-cache breakpoints the client did not send.</param>
/// <param name="Capped">An output limit or reasoning ceiling was applied.</param>
/// <param name="WastedAttempt">A cascade's cheaper attempt whose answer failed its check: the client would never have made
/// it, so all it cost is a negative saving of the router (its answer's row carries the routed saving against the baseline).</param>
public sealed record SavingsInputs(ModelPrice? AskedPrice = null, ModelPrice? RoutedPrice = null, bool Degraded = false,
    bool CacheBreakpointsAdded = false, bool Capped = false, bool WastedAttempt = false)
{
    public static readonly SavingsInputs None = new();

    public bool IsNone => AskedPrice is null && RoutedPrice is null && !Degraded && !CacheBreakpointsAdded && !Capped && !WastedAttempt;
}

/// <summary>
/// Prices a request as the client asked for it, from the tokens it actually used, and splits the difference by lever in
/// a fixed order so the parts add up to the whole:
/// <list type="number">
/// <item>without the breakpoints TokenOps added, every cached input token would have been plain input
///   (cache-breakpoint = cost of that usage on the served model − actual cost);</item>
/// <item>on the model a soft budget degraded from (the one asked for, or the router's choice), the same tokens at its
///   prices (degraded = cost there − cost on the served model, both without the added breakpoints);</item>
/// <item>on the model the client asked for (for <c>auto</c>, the router's baseline), against the router's choice
///   (routed = cost on the asked model − cost on the routed model).</item>
/// </list>
/// An output limit saves nothing by this measure (the tokens are the same tokens): the lever is recorded, the amount is 0.
/// What a limit saves is what it keeps out of reservations and what the model would have written beyond it, which no one can know.
/// </summary>
public static class SavingsCalculator
{
    public static SavingsBreakdown Compute(TokenUsage usage, ModelPrice? served, CostBreakdown actual, SavingsInputs inputs)
    {
        if (inputs.IsNone || served is null) return SavingsBreakdown.Zero;
        if (inputs.WastedAttempt) return new SavingsBreakdown { Routed = -actual.Total };
        var tokens = inputs.CacheBreakpointsAdded ? WithoutCache(usage) : usage;
        var onServed = inputs.CacheBreakpointsAdded ? CostCalculator.Compute(served, tokens).Total : actual.Total;
        decimal On(ModelPrice? price, decimal otherwise) => price is { IsPriced: true } p ? CostCalculator.Compute(p, tokens).Total : otherwise;
        // The model before a degrade: the router's choice when routed, else the one asked for.
        var beforeDegrade = inputs.Degraded ? On(inputs.RoutedPrice ?? inputs.AskedPrice, onServed) : onServed;
        var onRouted = inputs.RoutedPrice is null ? beforeDegrade : On(inputs.RoutedPrice, beforeDegrade);
        var onAsked = On(inputs.AskedPrice, onRouted);
        return new SavingsBreakdown
        {
            CacheBreakpoint = onServed - actual.Total,
            Degraded = beforeDegrade - onServed,
            Routed = inputs.RoutedPrice is null ? 0m : onAsked - onRouted,
        };
    }

    /// <summary>The same input, all of it uncached: what a provider bills when no prefix is marked for caching.</summary>
    public static TokenUsage WithoutCache(TokenUsage usage) => usage with
    {
        UncachedInput = usage.TotalInput,
        CacheRead = 0,
        CacheWrite5m = 0,
        CacheWrite1h = 0,
    };

    /// <summary>The levers applied, in ledger order, comma-separated; null when none was.</summary>
    public static string? LeverNames(SavingsInputs inputs, string? extra = null)
    {
        var names = new List<string>(3);
        if (inputs.RoutedPrice is not null || inputs.WastedAttempt) names.Add(SavingsLevers.Routed);
        if (inputs.Degraded) names.Add(SavingsLevers.Degraded);
        if (inputs.Capped) names.Add(SavingsLevers.Capped);
        if (inputs.CacheBreakpointsAdded) names.Add(SavingsLevers.CacheBreakpoint);
        if (extra is not null) names.Add(extra);
        return names.Count == 0 ? null : string.Join(',', names);
    }
}
