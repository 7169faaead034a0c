using TokenOps.Core.Metering;

namespace TokenOps.Core.Pricing;

/// <summary>
/// Chooses the rates for one request, in this order (mirrors LiteLLM <c>_get_token_base_cost</c> plus the provider batch rule):
/// <list type="number">
/// <item>Long-context tier T: the highest threshold with total input &gt; threshold; a rate T lacks falls back to the base rate.</item>
/// <item>Flex / Priority lane s: T.X_s ?? T.X ?? X_s ?? X (only priority variants exist on tiers).</item>
/// <item>Batch lane: the catalog <c>*_batches</c> rate when no tier is active, else 50 % of the standard rate; cache
/// read/write are always 50 % of standard (Anthropic batch rule; the catalog has no batch cache variants).</item>
/// <item>Cache read falls back to the lane's input rate, 5m write to the input rate, 1h write to the 5m write rate.</item>
/// <item>Reasoning: a DISTINCT reasoning rate (one that differs from the output rate) is kept (halved for batch);
/// otherwise reasoning is output and takes the lane's output rate (so priority/long-context output prices apply).</item>
/// </list>
/// </summary>
internal static class RateResolver
{
    private const decimal BatchDiscount = 0.5m;

    public static EffectiveRates Resolve(ModelPrice p, long totalInput, ServiceTier lane)
    {
        var t = SelectTier(p, totalInput);
        var input = Pick(lane, t?.InputPriority, t?.Input, p.InputFlex, p.InputPriority, p.Input);
        var output = Pick(lane, t?.OutputPriority, t?.Output, p.OutputFlex, p.OutputPriority, p.Output);
        var cacheRead = Pick(lane, t?.CacheReadPriority, t?.CacheRead, p.CacheReadFlex, p.CacheReadPriority, p.CacheRead) ?? input;
        var cacheWrite5m = Pick(lane, null, t?.CacheWrite5m, p.CacheWriteFlex, p.CacheWritePriority, p.CacheWrite5m) ?? input;
        var cacheWrite1h = t?.CacheWrite1h ?? p.CacheWrite1h ?? cacheWrite5m;
        var reasoning = DistinctReasoning(p, t);

        if (lane == ServiceTier.Batch)
        {
            input = (t is null ? p.BatchInput : null) ?? input * BatchDiscount;
            output = (t is null ? p.BatchOutput : null) ?? output * BatchDiscount;
            cacheRead *= BatchDiscount;
            cacheWrite5m *= BatchDiscount;
            cacheWrite1h *= BatchDiscount;
            reasoning *= BatchDiscount;
        }

        return new EffectiveRates(
            NonNegative(input),
            NonNegative(output),
            NonNegative(cacheRead),
            NonNegative(cacheWrite5m),
            NonNegative(cacheWrite1h),
            NonNegative(reasoning ?? output));
    }

    private static LongContextTier? SelectTier(ModelPrice p, long totalInput)
    {
        var tiers = p.LongContextTiers;
        for (var i = tiers.Count - 1; i >= 0; i--)
        {
            if (totalInput > tiers[i].ThresholdTokens)
            {
                return tiers[i];
            }
        }

        return null;
    }

    /// <summary>Lane-specific rate with LiteLLM's fallback order: tier+lane, tier, base+lane, base.</summary>
    private static decimal? Pick(ServiceTier lane, decimal? tierPriority, decimal? tier, decimal? flex, decimal? priority, decimal? standard) =>
        lane switch
        {
            ServiceTier.Priority => tierPriority ?? tier ?? priority ?? standard,
            ServiceTier.Flex => tier ?? flex ?? standard,
            _ => tier ?? standard,
        };

    /// <summary>The reasoning rate when it is a separate price; null means "reasoning is billed as output".</summary>
    private static decimal? DistinctReasoning(ModelPrice p, LongContextTier? t)
    {
        var baseReasoning = p.Reasoning is { } r && r != p.Output ? r : (decimal?)null;
        if (t is null)
        {
            return baseReasoning;
        }

        var tierReasoning = t.Reasoning ?? baseReasoning;
        return tierReasoning is { } tr && tr != (t.Output ?? p.Output) ? tr : null;
    }

    private static decimal NonNegative(decimal? rate) => rate is > 0 ? rate.Value : 0m;
}
