using TokenOps.Gateway.Configuration;

namespace TokenOps.Gateway.ResponseCache;

/// <summary>The exact cache's settings in force for one request.</summary>
public sealed record ExactCacheSettings(string Scope, TimeSpan Ttl, long MaxEntryBytes, bool CacheToolResults);

/// <summary>
/// tokenops.json "cache", resolved per request: each setting comes from the most specific level that gives it (the
/// caller's team, then the route, then the top level). Off unless some level turns it on.
/// </summary>
public sealed class ResponseCachePolicy(ResponseCacheOptions options)
{
    public const long DefaultMaxEntryBytes = 1L << 20;
    public const long DefaultMaxTotalBytes = 256L << 20;
    public const int DefaultTtlSeconds = 3600;

    public bool IsOff { get; } = options.IsOff;

    /// <summary>True when no level turns the semantic cache on (its index is then never read nor synchronised).</summary>
    public bool SemanticIsOff { get; } = options.Semantic?.Enabled != true && options.Routes.Values.All(l => l.Semantic?.Enabled != true)
        && options.Teams.Values.All(l => l.Semantic?.Enabled != true);

    /// <summary>The bound on the whole cache (cache.exact.maxTotalBytes).</summary>
    public long MaxTotalBytes { get; } = options.Exact?.MaxTotalBytes ?? DefaultMaxTotalBytes;

    /// <summary>The semantic cache's threshold for this route and team, or null when it is off there (most specific level wins).</summary>
    public float? SemanticThreshold(string route, string? team)
    {
        var t = team is not null ? options.Teams.GetValueOrDefault(team)?.Semantic : null;
        var r = options.Routes.GetValueOrDefault(route)?.Semantic;
        var top = options.Semantic;
        if (!(t?.Enabled ?? r?.Enabled ?? top?.Enabled ?? false)) return null;
        return (float)(t?.Threshold ?? r?.Threshold ?? top?.Threshold ?? TokenOps.Routing.Similarity.SemanticQuery.DefaultThreshold);
    }

    public ExactCacheSettings? For(string route, string? team)
    {
        if (IsOff || !ResponseCacheOptions.CacheableRoutes.Contains(route, StringComparer.Ordinal)) return null;
        var t = team is not null ? options.Teams.GetValueOrDefault(team)?.Exact : null;
        var r = options.Routes.GetValueOrDefault(route)?.Exact;
        var top = options.Exact;
        if (!(t?.Enabled ?? r?.Enabled ?? top?.Enabled ?? false)) return null;
        return new ExactCacheSettings(
            t?.Scope ?? r?.Scope ?? top?.Scope ?? CacheScopes.Team,
            TimeSpan.FromSeconds(t?.TtlSeconds ?? r?.TtlSeconds ?? top?.TtlSeconds ?? DefaultTtlSeconds),
            Math.Min(t?.MaxEntryBytes ?? r?.MaxEntryBytes ?? top?.MaxEntryBytes ?? DefaultMaxEntryBytes, MaxTotalBytes),
            t?.CacheToolResults ?? r?.CacheToolResults ?? top?.CacheToolResults ?? false);
    }
}
