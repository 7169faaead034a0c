namespace TokenOps.Core.Savings;

/// <summary>The levers that can make a request cheaper than the client asked for, by the names the ledger and reports use.</summary>
public static class SavingsLevers
{
    /// <summary>The router served another model than the client named (<c>model: "auto"</c>).</summary>
    public const string Routed = "routed";
    /// <summary>A soft budget served the tier's cheaper model.</summary>
    public const string Degraded = "degraded";
    /// <summary>An output limit (default or cap) or a reasoning ceiling was applied.</summary>
    public const string Capped = "capped";
    /// <summary>TokenOps added prompt-cache breakpoints (or a cache key) the client did not send.</summary>
    public const string CacheBreakpoint = "cache-breakpoint";
    /// <summary>The answer came from TokenOps' response cache.</summary>
    public const string CacheHit = "cache-hit";
    /// <summary>The request went through a provider's batch API at batch prices.</summary>
    public const string Batch = "batch";

    public static readonly IReadOnlyList<string> All = [Routed, Degraded, Capped, CacheBreakpoint, CacheHit, Batch];

    public static bool IsKnown(string lever) => All.Contains(lever, StringComparer.Ordinal);

    /// <summary>True when the ledger's comma-separated <paramref name="levers"/> name <paramref name="lever"/> (whole names; no allocation).</summary>
    public static bool Applies(string? levers, string lever)
    {
        if (levers is null) return false;
        var rest = levers.AsSpan();
        while (true)
        {
            var comma = rest.IndexOf(',');
            if ((comma < 0 ? rest : rest[..comma]).SequenceEqual(lever)) return true;
            if (comma < 0) return false;
            rest = rest[(comma + 1)..];
        }
    }
}
