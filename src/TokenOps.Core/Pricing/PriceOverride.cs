namespace TokenOps.Core.Pricing;

/// <summary>
/// An operator price in human units (USD per million tokens). Overlays a catalog entry field by field, or defines a
/// new model (then <see cref="InputPerMTok"/> and <see cref="OutputPerMTok"/> are required). Catalog rates the override
/// does not name (flex, priority, long-context tiers) are kept as they are.
/// </summary>
public sealed record PriceOverride
{
    public decimal? InputPerMTok { get; init; }
    public decimal? OutputPerMTok { get; init; }
    public decimal? CacheReadPerMTok { get; init; }
    public decimal? CacheWrite5mPerMTok { get; init; }
    public decimal? CacheWrite1hPerMTok { get; init; }
    public decimal? ReasoningPerMTok { get; init; }
    public decimal? BatchInputPerMTok { get; init; }
    public decimal? BatchOutputPerMTok { get; init; }
    public string? Provider { get; init; }
    public string? Mode { get; init; }
    public long? MaxOutputTokens { get; init; }
}
