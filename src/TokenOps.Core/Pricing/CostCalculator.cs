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
        if (!price.IsCostable || !price.IsPriced && HasUnpricedTokens(price, usage))
        {
            throw new InvalidOperationException($"Model '{price.Model}' has no per-token input/output price for this usage (nor a price per image, second or character); refusing to price it as $0.");
        }

        var uncached = Math.Max(0, usage.UncachedInput);
        var cacheRead = Math.Max(0, usage.CacheRead);
        var write5m = Math.Max(0, usage.CacheWrite5m);
        var write1h = Math.Max(0, usage.CacheWrite1h);
        var output = Math.Max(0, usage.Output);
        var reasoning = Math.Clamp(usage.Reasoning, 0, output);
        // Audio and image tokens are parts of the uncached input and of the non-reasoning output, priced at their own rates.
        var audioIn = Math.Clamp(usage.AudioInput, 0, uncached);
        var imageIn = Math.Clamp(usage.ImageInput, 0, uncached - audioIn);
        var audioOut = Math.Clamp(usage.AudioOutput, 0, output - reasoning);
        var imageOut = Math.Clamp(usage.ImageOutput, 0, output - reasoning - audioOut);

        var rates = RateResolver.Resolve(price, requestInputTokens ?? uncached + cacheRead + write5m + write1h, usage.Tier);
        var lane = usage.Tier == ServiceTier.Batch ? 0.5m : 1m;
        return new CostBreakdown
        {
            UncachedInput = (uncached - audioIn - imageIn) * rates.Input,
            CacheRead = cacheRead * rates.CacheRead,
            CacheWrite5m = write5m * rates.CacheWrite5m,
            CacheWrite1h = write1h * rates.CacheWrite1h,
            Output = (output - reasoning - audioOut - imageOut) * rates.Output,
            Reasoning = reasoning * rates.Reasoning,
            ToolCalls = ToolFees(price, usage),
            AudioInput = audioIn * (price.InputAudio is { } ai ? ai * lane : rates.Input),
            AudioOutput = audioOut * (price.OutputAudio is { } ao ? ao * lane : rates.Output),
            ImageInput = imageIn * (price.InputImage is { } ii ? ii * lane : rates.Input),
            ImageOutput = imageOut * (price.OutputImage is { } io ? io * lane : rates.Output),
            Images = UnitFee(usage.Images, price.PerImage, lane),
            AudioSeconds = UnitFee(usage.AudioMilliseconds, price.PerSecond, lane) / 1000m,
            Characters = UnitFee(usage.Characters, price.PerCharacter, lane),
        };
    }

    /// <summary>
    /// Tokens a model priced by the unit (or by image tokens only) has no rate for: text input without an input rate,
    /// text or reasoning output without an output rate, audio or image tokens with neither their own rate nor the text one.
    /// </summary>
    private static bool HasUnpricedTokens(ModelPrice price, TokenUsage usage)
    {
        var input = usage.PlainInput + Math.Max(0, usage.CacheRead) + Math.Max(0, usage.CacheWrite5m) + Math.Max(0, usage.CacheWrite1h);
        var output = usage.PlainOutput + Math.Max(0, usage.Reasoning);
        return (input > 0 && price.Input is null)
            || (output > 0 && price.Output is null)
            || (usage.AudioInput > 0 && (price.InputAudio ?? price.Input) is null)
            || (usage.ImageInput > 0 && (price.InputImage ?? price.Input) is null)
            || (usage.AudioOutput > 0 && (price.OutputAudio ?? price.Output) is null)
            || (usage.ImageOutput > 0 && (price.OutputImage ?? price.Output) is null);
    }

    /// <summary>
    /// A per-unit fee (image, millisecond of audio, character). A unit the model has no price for adds nothing: such a
    /// model is priced by its tokens (gpt-image-1's images are its image tokens), and a model priced by neither is refused above.
    /// </summary>
    private static decimal UnitFee(long units, decimal? unitPrice, decimal lane)
    {
        if (units <= 0) return 0m;
        return unitPrice is { } p ? units * p * lane : 0m;
    }
}
