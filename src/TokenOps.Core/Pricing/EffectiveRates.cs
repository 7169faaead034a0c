namespace TokenOps.Core.Pricing;

/// <summary>The per-token USD rates that apply to one request, after long-context tier, service tier and fallbacks.</summary>
internal readonly record struct EffectiveRates(
    decimal Input,
    decimal Output,
    decimal CacheRead,
    decimal CacheWrite5m,
    decimal CacheWrite1h,
    decimal Reasoning);
