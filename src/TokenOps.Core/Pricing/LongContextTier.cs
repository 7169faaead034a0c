namespace TokenOps.Core.Pricing;

/// <summary>
/// Rates that replace the base rates for the WHOLE request once its total input (uncached + cache read + cache writes)
/// exceeds <see cref="ThresholdTokens"/>. Parsed from LiteLLM <c>*_above_&lt;N&gt;k_tokens</c> fields (k = 1000) and from
/// <c>tiered_pricing</c> ranges. All rates are USD per token; a null rate falls back to the model's base rate.
/// </summary>
public sealed record LongContextTier(long ThresholdTokens)
{
    public decimal? Input { get; init; }
    public decimal? Output { get; init; }
    public decimal? CacheRead { get; init; }
    public decimal? CacheWrite5m { get; init; }
    public decimal? CacheWrite1h { get; init; }
    public decimal? Reasoning { get; init; }
    public decimal? InputPriority { get; init; }
    public decimal? OutputPriority { get; init; }
    public decimal? CacheReadPriority { get; init; }
}
