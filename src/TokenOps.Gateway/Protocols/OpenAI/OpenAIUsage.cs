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
        return new TokenUsage
        {
            UncachedInput = input - cached - written,
            CacheRead = cached,
            CacheWrite5m = written,
            Output = output,
            Reasoning = Math.Min(Int(outputDetails, "reasoning_tokens"), output),
            Tier = tier,
        };
    }

    private static long Int(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    private static JsonElement Child(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) ? v : default;
}
