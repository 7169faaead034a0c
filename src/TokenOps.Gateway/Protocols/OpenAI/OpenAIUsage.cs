using System.Text.Json;
using TokenOps.Core.Metering;

namespace TokenOps.Gateway.Protocols.OpenAI;

/// <summary>OpenAI usage objects to canonical buckets (REFERENCE 3.4): cached and cache-write tokens are subsets of input.</summary>
internal static class OpenAIUsage
{
    /// <summary>Chat Completions and Embeddings: prompt_tokens / completion_tokens.</summary>
    public static TokenUsage FromChat(JsonElement usage, ServiceTier tier) =>
        Build(Int(usage, "prompt_tokens"), Child(usage, "prompt_tokens_details"),
            Int(usage, "completion_tokens"), Child(usage, "completion_tokens_details"), tier);

    /// <summary>Responses API: input_tokens / output_tokens.</summary>
    public static TokenUsage FromResponses(JsonElement usage, ServiceTier tier) =>
        Build(Int(usage, "input_tokens"), Child(usage, "input_tokens_details"),
            Int(usage, "output_tokens"), Child(usage, "output_tokens_details"), tier);

    private static TokenUsage Build(long input, JsonElement inputDetails, long output, JsonElement outputDetails, ServiceTier tier)
    {
        var cached = Math.Min(Int(inputDetails, "cached_tokens"), input);
        var written = Math.Min(Int(inputDetails, "cache_write_tokens"), input - cached);
        var uncached = input - cached - written;
        // Audio and image tokens are parts of the input and output counts, priced at their own rates. The cached part of
        // the audio (cached_tokens_details.audio_tokens) is a cache read, so only the rest is uncached audio input.
        var audioIn = Math.Clamp(Int(inputDetails, "audio_tokens") - Int(Child(inputDetails, "cached_tokens_details"), "audio_tokens"), 0, uncached);
        var imageIn = Math.Clamp(Int(inputDetails, "image_tokens") - Int(Child(inputDetails, "cached_tokens_details"), "image_tokens"), 0, uncached - audioIn);
        var reasoning = Math.Min(Int(outputDetails, "reasoning_tokens"), output);
        var audioOut = Math.Clamp(Int(outputDetails, "audio_tokens"), 0, output - reasoning);
        var imageOut = Math.Clamp(Int(outputDetails, "image_tokens"), 0, output - reasoning - audioOut);
        return new TokenUsage
        {
            UncachedInput = uncached,
            CacheRead = cached,
            CacheWrite5m = written,
            Output = output,
            Reasoning = reasoning,
            AudioInput = audioIn,
            ImageInput = imageIn,
            AudioOutput = audioOut,
            ImageOutput = imageOut,
            Tier = tier,
        };
    }

    /// <summary>
    /// Images API (gpt-image-1): <c>input_tokens</c> with <c>input_tokens_details.{text_tokens, image_tokens}</c>, and
    /// <c>output_tokens</c>, all image tokens unless <c>output_tokens_details</c> says otherwise.
    /// </summary>
    public static TokenUsage FromImages(JsonElement usage)
    {
        var u = FromResponses(usage, ServiceTier.Standard);
        var outputDetails = Child(usage, "output_tokens_details");
        return outputDetails.ValueKind == JsonValueKind.Object ? u : u with { ImageOutput = u.Output - u.Reasoning };
    }

    private static long Int(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    private static JsonElement Child(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) ? v : default;
}
