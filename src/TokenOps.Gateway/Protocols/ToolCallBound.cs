using System.Text.Json;

namespace TokenOps.Gateway.Protocols;

/// <summary>
/// The most provider-side tool calls billed per call (web search, web fetch, file search) a request may make, for its
/// reservation: the client's own cap where the protocol has one (Anthropic <c>max_uses</c> per tool, OpenAI
/// <c>max_tool_calls</c>), else <see cref="Unbounded"/> per tool; a chat search model searches once per request.
/// </summary>
internal static class ToolCallBound
{
    /// <summary>
    /// Assumed when a client sets no cap. Neither provider documents a hard ceiling; a model rarely searches more than a
    /// handful of times per turn, and each call also needs output tokens, which max_tokens bounds.
    /// </summary>
    public const long Unbounded = 20;

    private static readonly string[] AnthropicPerCall = ["web_search", "web_fetch"];
    private static readonly string[] OpenAIPerCall = ["web_search", "file_search"];

    /// <summary>Chat searches with <c>web_search_options</c>, and the search models (<c>gpt-4o-search-preview</c>, ...) search on every request.</summary>
    public static long InChat(JsonElement root, string model) =>
        (root.TryGetProperty("web_search_options", out var o) && o.ValueKind == JsonValueKind.Object)
        || model.Contains("search-preview", StringComparison.OrdinalIgnoreCase) || model.Contains("search-api", StringComparison.OrdinalIgnoreCase)
            ? 1 : 0;

    public static long InResponses(JsonElement root)
    {
        var tools = CountTools(root, OpenAIPerCall, maxUses: false);
        if (tools == 0) return 0;
        return root.TryGetProperty("max_tool_calls", out var cap) && Cap(cap) is { } n ? n : tools;
    }

    public static long InMessages(JsonElement root) => CountTools(root, AnthropicPerCall, maxUses: true);

    /// <summary>A client's cap as a whole number of calls, rounded up (<c>1e3</c> and <c>2.5</c> are numbers a provider may
    /// accept), at most 1,000; null when it is not a non-negative number.</summary>
    private static long? Cap(JsonElement cap) =>
        cap.ValueKind == JsonValueKind.Number && cap.TryGetDouble(out var d) && d >= 0 && double.IsFinite(d) ? (long)Math.Ceiling(Math.Min(d, 1_000)) : null;

    /// <summary>Sums, over the tools whose type starts with one of <paramref name="prefixes"/>, each one's cap (or <see cref="Unbounded"/>).</summary>
    private static long CountTools(JsonElement root, string[] prefixes, bool maxUses)
    {
        long total = 0;
        foreach (var (tool, type) in RequestTools.Typed(root))
            if (RequestTools.StartsWithAny(type, prefixes))
                total += maxUses && tool.TryGetProperty("max_uses", out var cap) && Cap(cap) is { } n ? n : Unbounded;
        return total;
    }
}
