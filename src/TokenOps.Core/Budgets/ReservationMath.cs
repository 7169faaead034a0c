using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;

namespace TokenOps.Core.Budgets;

/// <summary>
/// The worst case a request can cost before it is sent: its input tokens at the input price plus every output token it
/// may generate at the output (or reasoning, if dearer) price, long-context tiers included. Rounded up to the nano-dollar.
/// </summary>
public static class ReservationMath
{
    /// <param name="toolCalls">Provider-side tool calls (web search, file search) the request may make, each at the dearest per-call price.</param>
    /// <param name="tier">The service tier the request asks for (priority is dearer than standard).</param>
    public static long WorstCaseNanos(ModelPrice price, long inputTokens, long maxOutputTokens, long toolCalls = 0, ServiceTier tier = ServiceTier.Standard)
    {
        if (!price.IsPriced) return 0;
        var tools = Math.Max(0, toolCalls) * CostCalculator.DearestToolCall(price);
        inputTokens = Math.Max(0, inputTokens);
        maxOutputTokens = Math.Max(0, maxOutputTokens);
        var reasoningDearer = price.Reasoning is { } r && r > (price.Output ?? 0m);
        var worst = Cost(new TokenUsage { UncachedInput = inputTokens, Output = maxOutputTokens, Reasoning = reasoningDearer ? maxOutputTokens : 0, Tier = tier });
        // Input written to a prompt cache is dearer than plain input (Anthropic: 1.25x for 5 minutes, 2x for an hour);
        // where the catalog says so, every input token may be such a write.
        if ((price.CacheWrite5m ?? 0m) > price.Input || (price.CacheWrite1h ?? 0m) > price.Input)
        {
            worst = Math.Max(worst, Cost(new TokenUsage { CacheWrite5m = inputTokens, Output = maxOutputTokens, Reasoning = reasoningDearer ? maxOutputTokens : 0, Tier = tier }));
            worst = Math.Max(worst, Cost(new TokenUsage { CacheWrite1h = inputTokens, Output = maxOutputTokens, Reasoning = reasoningDearer ? maxOutputTokens : 0, Tier = tier }));
        }
        return CeilingNanos(worst + tools);

        decimal Cost(TokenUsage usage) => CostCalculator.Compute(price, usage).Total;
    }

    /// <summary>
    /// The most one image generation can produce, in image tokens: gpt-image-1's largest image (1536x1024 or 1024x1536)
    /// at high quality is 6,240 output tokens (OpenAI's published table).
    /// </summary>
    public const long MaxImageTokensPerImage = 6240;

    /// <summary>
    /// The worst case of an image request: <paramref name="images"/> at the price per image, or, for a model priced in
    /// image tokens (gpt-image-1), the prompt's tokens and <see cref="MaxImageTokensPerImage"/> per image.
    /// </summary>
    public static long WorstCaseImagesNanos(ModelPrice price, long inputTokens, long images)
    {
        if (!price.IsCostable) return 0;
        images = Math.Max(0, images);
        var output = price.PerImage is null ? images * MaxImageTokensPerImage : 0;
        var usage = new TokenUsage
        {
            UncachedInput = price.Input is null ? 0 : Math.Max(0, inputTokens),
            Images = images,
            Output = output,
            ImageOutput = price.OutputImage is null ? 0 : output,
        };
        return price.Output is null && price.OutputImage is null && output > 0 ? 0 : CeilingNanos(CostCalculator.Compute(price, usage).Total);
    }

    /// <summary>
    /// The worst case of an audio request from its bound in every bucket (seconds, characters, text and audio tokens):
    /// the buckets the model has a rate for are priced, the rest left out, since a model is billed by the ones it has
    /// (whisper-1 per second, tts-1 per character, gpt-4o-transcribe in tokens). A model with both a per-second and an
    /// output token rate (gpt-4o-mini-tts) is billed its output one way or the other, never both (tokens when the
    /// provider reports usage, the audio's seconds when it does not), so the hold is the larger of the two, not their sum.
    /// </summary>
    public static long WorstCaseUnitsNanos(ModelPrice price, TokenUsage bound)
    {
        if (!price.IsCostable) return 0;
        var inputRate = price.Input is not null;
        var outputRate = price.Output is not null;
        var usage = bound with
        {
            UncachedInput = inputRate || price.InputAudio is not null ? Math.Max(0, bound.UncachedInput) : 0,
            AudioInput = (price.InputAudio ?? price.Input) is not null ? Math.Max(0, bound.AudioInput) : 0,
            Output = outputRate || price.OutputAudio is not null ? Math.Max(0, bound.Output) : 0,
            AudioOutput = (price.OutputAudio ?? price.Output) is not null ? Math.Max(0, bound.AudioOutput) : 0,
            Reasoning = 0,
        };
        // Text tokens without a text rate (an audio-only rate) are priced as the audio they then must be.
        if (!inputRate) usage = usage with { AudioInput = usage.UncachedInput };
        if (!outputRate) usage = usage with { AudioOutput = usage.Output };
        var byTokens = CostCalculator.Compute(price, usage with { AudioMilliseconds = 0 }).Total;
        var bySeconds = CostCalculator.Compute(price, usage with { Output = 0, AudioOutput = 0 }).Total;
        return CeilingNanos(Math.Max(byTokens, bySeconds));
    }

    /// <summary>The largest output token limit whose worst case fits in <paramref name="availableNanos"/>; 0 when even the input does not fit.</summary>
    public static long MaxOutputThatFits(ModelPrice price, long inputTokens, long availableNanos, long upperBound, long toolCalls = 0,
        ServiceTier tier = ServiceTier.Standard)
    {
        if (WorstCaseNanos(price, inputTokens, 0, toolCalls, tier) > availableNanos) return 0;
        long lo = 0, hi = Math.Max(0, upperBound);
        while (lo < hi)
        {
            var mid = lo + (hi - lo + 1) / 2;
            if (WorstCaseNanos(price, inputTokens, mid, toolCalls, tier) <= availableNanos) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    public static long CeilingNanos(decimal usd) => (long)decimal.Ceiling(usd * 1_000_000_000m);
}
