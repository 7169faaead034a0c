namespace TokenOps.Core.Pricing;

/// <summary>Mutable accumulator for one catalog entry while it is being read; <see cref="Build"/> freezes it.</summary>
internal sealed class ModelPriceBuilder(string model)
{
    private readonly SortedDictionary<long, LongContextTier> _tiers = [];
    private readonly List<(long From, LongContextTier Rates)> _tieredPricing = [];

    public string Model { get; } = model;
    public string? Provider { get; set; }
    public string? Mode { get; set; }
    public long? MaxInputTokens { get; set; }
    public long? MaxOutputTokens { get; set; }
    public long? PromptCacheMinTokens { get; set; }
    public decimal? Input { get; set; }
    public decimal? Output { get; set; }
    public decimal? CacheRead { get; set; }
    public decimal? CacheHit { get; set; }
    public decimal? CacheWrite5m { get; set; }
    public decimal? CacheWrite1h { get; set; }
    public decimal? Reasoning { get; set; }
    public decimal? BatchInput { get; set; }
    public decimal? BatchOutput { get; set; }
    public decimal? InputFlex { get; set; }
    public decimal? OutputFlex { get; set; }
    public decimal? CacheReadFlex { get; set; }
    public decimal? CacheWriteFlex { get; set; }
    public decimal? InputPriority { get; set; }
    public decimal? OutputPriority { get; set; }
    public decimal? CacheReadPriority { get; set; }
    public decimal? CacheWritePriority { get; set; }
    public decimal? WebSearchPerCall { get; set; }
    public decimal? FileSearchPerCall { get; set; }
    public decimal? InputAudio { get; set; }
    public decimal? OutputAudio { get; set; }
    public decimal? InputImage { get; set; }
    public decimal? OutputImage { get; set; }
    public decimal? InputPerImage { get; set; }
    public decimal? OutputPerImage { get; set; }
    public decimal? InputPerPixel { get; set; }
    public decimal? InputPerSecond { get; set; }
    public decimal? OutputPerSecond { get; set; }
    public decimal? PerCharacter { get; set; }
    public ModelCapabilities Capabilities { get; set; } = ModelCapabilities.None;

    /// <summary>Applies one change to the long-context tier of the given threshold, creating the tier if needed.</summary>
    public void UpdateTier(long threshold, Func<LongContextTier, LongContextTier> change)
    {
        var tier = _tiers.TryGetValue(threshold, out var existing) ? existing : new LongContextTier(threshold);
        _tiers[threshold] = change(tier);
    }

    /// <summary>Records one <c>tiered_pricing</c> element that applies to requests with more than <paramref name="from"/> input tokens.</summary>
    public void AddTieredPricing(long from, LongContextTier rates) => _tieredPricing.Add((from, rates));

    public ModelPrice Build()
    {
        var price = new ModelPrice
        {
            Model = Model,
            Provider = Provider ?? "unknown",
            Mode = Mode,
            MaxInputTokens = MaxInputTokens,
            MaxOutputTokens = MaxOutputTokens,
            PromptCacheMinTokens = PromptCacheMinTokens,
            Input = Input,
            Output = Output,
            CacheRead = CacheRead ?? CacheHit,
            CacheWrite5m = CacheWrite5m,
            CacheWrite1h = CacheWrite1h,
            Reasoning = Reasoning,
            BatchInput = BatchInput,
            BatchOutput = BatchOutput,
            InputFlex = InputFlex,
            OutputFlex = OutputFlex,
            CacheReadFlex = CacheReadFlex,
            CacheWriteFlex = CacheWriteFlex,
            InputPriority = InputPriority,
            OutputPriority = OutputPriority,
            CacheReadPriority = CacheReadPriority,
            CacheWritePriority = CacheWritePriority,
            WebSearchPerCall = WebSearchPerCall,
            FileSearchPerCall = FileSearchPerCall,
            InputAudio = InputAudio,
            OutputAudio = OutputAudio,
            InputImage = InputImage,
            OutputImage = OutputImage,
            PerImage = OutputPerImage ?? InputPerImage ?? PixelPriced(),
            PerSecond = InputPerSecond ?? OutputPerSecond,
            PerCharacter = PerCharacter,
            LongContextTiers = _tiers.Count == 0 ? [] : [.. _tiers.Values],
            Capabilities = Capabilities,
        };
        return Input is null && Output is null && _tieredPricing.Count > 0 ? WithTieredPricing(price) : price;
    }

    /// <summary>
    /// A size variant priced per pixel (<c>hd/1024-x-1024/dall-e-3</c>, <c>256-x-256/dall-e-2</c>): the price of one
    /// image of the key's size, as LiteLLM computes it (pixel rate x width x height).
    /// </summary>
    private decimal? PixelPriced()
    {
        if (InputPerPixel is not { } perPixel) return null;
        foreach (var part in Model.Split('/'))
        {
            var x = part.IndexOf("-x-", StringComparison.Ordinal);
            if (x > 0 && long.TryParse(part.AsSpan(0, x), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var w)
                && long.TryParse(part.AsSpan(x + 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var h))
            {
                return perPixel * w * h;
            }
        }
        return null;
    }

    /// <summary>
    /// dashscope/volcengine <c>tiered_pricing</c>: the lowest range becomes the base rates, every higher range a
    /// long-context tier whose threshold is the range start (LiteLLM: <c>start &lt; input &lt;= end</c>, whole request,
    /// above the last range the last tier). Only used when the entry has no top-level token rates.
    /// </summary>
    private ModelPrice WithTieredPricing(ModelPrice price)
    {
        var ordered = _tieredPricing.OrderBy(t => t.From).ToArray();
        var (_, baseRates) = ordered[0];
        return price with
        {
            Input = baseRates.Input,
            Output = baseRates.Output,
            CacheRead = baseRates.CacheRead ?? price.CacheRead,
            CacheWrite5m = baseRates.CacheWrite5m ?? price.CacheWrite5m,
            Reasoning = baseRates.Reasoning ?? price.Reasoning,
            LongContextTiers = [.. ordered.Skip(1).Select(t => t.Rates with { ThresholdTokens = t.From })],
        };
    }
}
