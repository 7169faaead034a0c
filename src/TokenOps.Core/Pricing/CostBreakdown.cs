namespace TokenOps.Core.Pricing;

/// <summary>Cost of one request per bucket, in USD (decimal). Output excludes reasoning, which is priced apart.</summary>
public sealed record CostBreakdown
{
    public decimal UncachedInput { get; init; }
    public decimal CacheRead { get; init; }
    public decimal CacheWrite5m { get; init; }
    public decimal CacheWrite1h { get; init; }
    /// <summary>Output tokens that are not reasoning.</summary>
    public decimal Output { get; init; }
    public decimal Reasoning { get; init; }
    /// <summary>Per-call fees of provider-side tools (web search, web fetch, file search).</summary>
    public decimal ToolCalls { get; init; }

    public decimal Total => UncachedInput + CacheRead + CacheWrite5m + CacheWrite1h + Output + Reasoning + ToolCalls;

    public static readonly CostBreakdown Zero = new();
}
