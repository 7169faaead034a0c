namespace TokenOps.Core.Metering;

/// <summary>
/// Canonical token buckets of one request (REFERENCE.md 3.4). Input buckets are disjoint:
/// total input = UncachedInput + CacheRead + CacheWrite5m + CacheWrite1h.
/// Reasoning is a subset of Output, kept apart only because some models price it separately.
/// </summary>
public sealed record TokenUsage
{
    public long UncachedInput { get; init; }
    public long CacheRead { get; init; }
    public long CacheWrite5m { get; init; }
    public long CacheWrite1h { get; init; }
    /// <summary>All output tokens, reasoning included.</summary>
    public long Output { get; init; }
    /// <summary>Subset of <see cref="Output"/>.</summary>
    public long Reasoning { get; init; }
    public ServiceTier Tier { get; init; } = ServiceTier.Standard;
    /// <summary>Provider-side web searches (Anthropic <c>server_tool_use.web_search_requests</c>, OpenAI web search calls): billed per call.</summary>
    public long WebSearchCalls { get; init; }
    /// <summary>Anthropic web fetches (<c>server_tool_use.web_fetch_requests</c>): billed per call where the catalog prices them.</summary>
    public long WebFetchCalls { get; init; }
    /// <summary>OpenAI file search tool calls: billed per call.</summary>
    public long FileSearchCalls { get; init; }

    public long TotalInput => UncachedInput + CacheRead + CacheWrite5m + CacheWrite1h;
    public long Total => TotalInput + Output;

    public static readonly TokenUsage Zero = new();
}

/// <summary>The price lane a request was served on; each has its own catalog rates.</summary>
public enum ServiceTier
{
    Standard,
    Batch,
    Flex,
    Priority,
}
