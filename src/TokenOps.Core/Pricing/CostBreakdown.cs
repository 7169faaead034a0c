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
    /// <summary>Audio input tokens at the audio input rate (not part of <see cref="UncachedInput"/>).</summary>
    public decimal AudioInput { get; init; }
    /// <summary>Audio output tokens at the audio output rate (not part of <see cref="Output"/>).</summary>
    public decimal AudioOutput { get; init; }
    /// <summary>Image input tokens at the image input rate (not part of <see cref="UncachedInput"/>).</summary>
    public decimal ImageInput { get; init; }
    /// <summary>Image output tokens at the image output rate (not part of <see cref="Output"/>).</summary>
    public decimal ImageOutput { get; init; }
    /// <summary>Images generated at the per-image price.</summary>
    public decimal Images { get; init; }
    /// <summary>Audio duration at the per-second price.</summary>
    public decimal AudioSeconds { get; init; }
    /// <summary>Input characters at the per-character price.</summary>
    public decimal Characters { get; init; }

    public decimal Total => UncachedInput + CacheRead + CacheWrite5m + CacheWrite1h + Output + Reasoning + ToolCalls
        + AudioInput + AudioOutput + ImageInput + ImageOutput + Images + AudioSeconds + Characters;

    public static readonly CostBreakdown Zero = new();
}
