using TokenOps.Core.Metering;

namespace TokenOps.Core.Pricing;

/// <summary>Prices one request's canonical token buckets.</summary>
public static class CostCalculator
{
    /// <summary>
    /// cost = UncachedInput x in + CacheRead x cacheRead + CacheWrite5m x write5m + CacheWrite1h x write1h
    ///      + (Output - Reasoning) x out + Reasoning x reasoning,
    /// with the rates chosen by (1) long-context tier: total input (uncached + read + writes) &gt; threshold reprices the
    /// WHOLE request, highest threshold first; (2) service tier: *_priority / *_flex rates else standard; Batch uses
    /// *_batches else 50 % (cache rates 50 %); (3) fallbacks: cacheRead -&gt; in, write5m -&gt; in, write1h -&gt; write5m,
    /// reasoning -&gt; out. Negative counts are treated as 0 and Reasoning is clamped to Output.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has no input or output rate (never priced as $0).</exception>
    /// <summary>
    /// What web searches cost where the catalog names no price for the model: USD 10 per 1,000 calls, the list price of
    /// both providers' web search tools (Anthropic web search; OpenAI's web search tool for its current models). Never $0:
    /// a search the catalog forgot must still count against a budget.
    /// </summary>
    public const decimal DefaultWebSearchPerCall = 0.01m;

    /// <summary>Per-call fees of provider-side tools: web search at the catalog's medium-context price (else the default), file
    /// search at the catalog's price, web fetch free (Anthropic bills only the fetched content's tokens).</summary>
    public static decimal ToolFees(ModelPrice price, TokenUsage usage) =>
        Math.Max(0, usage.WebSearchCalls) * (price.WebSearchPerCall ?? DefaultWebSearchPerCall)
        + Math.Max(0, usage.FileSearchCalls) * (price.FileSearchPerCall ?? 0m);

    /// <summary>The dearest single provider-side tool call of this model, for reservations.</summary>
    public static decimal DearestToolCall(ModelPrice price) =>
        Math.Max(price.WebSearchPerCall ?? DefaultWebSearchPerCall, price.FileSearchPerCall ?? 0m);

    public static CostBreakdown Compute(ModelPrice price, TokenUsage usage) => Compute(price, usage, requestInputTokens: null);

    /// <summary>
    /// Prices usage that may add up several requests (a provider's daily usage bucket): the long-context tier applies per
    /// request, so it is chosen by <paramref name="requestInputTokens"/>, the input of one request of the bucket (0 for a
    /// bucket the provider marks as below every threshold, such as Anthropic's <c>context_window: "0-200k"</c>), not by the
    /// bucket's total. Null means the usage is one request.
    /// </summary>
    public static CostBreakdown Compute(ModelPrice price, TokenUsage usage, long? requestInputTokens)
    {
        ArgumentNullException.ThrowIfNull(price);
        ArgumentNullException.ThrowIfNull(usage);
        if (!price.IsPriced)
        {
            throw new InvalidOperationException($"Model '{price.Model}' has no per-token input/output price; refusing to price it as $0.");
        }

        var uncached = Math.Max(0, usage.UncachedInput);
        var cacheRead = Math.Max(0, usage.CacheRead);
        var write5m = Math.Max(0, usage.CacheWrite5m);
        var write1h = Math.Max(0, usage.CacheWrite1h);
        var output = Math.Max(0, usage.Output);
        var reasoning = Math.Clamp(usage.Reasoning, 0, output);

        var rates = RateResolver.Resolve(price, requestInputTokens ?? uncached + cacheRead + write5m + write1h, usage.Tier);
        return new CostBreakdown
        {
            UncachedInput = uncached * rates.Input,
            CacheRead = cacheRead * rates.CacheRead,
            CacheWrite5m = write5m * rates.CacheWrite5m,
            CacheWrite1h = write1h * rates.CacheWrite1h,
            Output = (output - reasoning) * rates.Output,
            Reasoning = reasoning * rates.Reasoning,
            ToolCalls = ToolFees(price, usage),
        };
    }
}
