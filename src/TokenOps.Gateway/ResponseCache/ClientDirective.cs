using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.ResponseCache;

/// <summary>What the client asked of the cache: nothing special, skip it entirely, or skip the lookup but store the answer.</summary>
public enum CacheDirective { Default, Bypass, Refresh }

/// <summary>
/// Reads the client's cache headers: <c>Cache-Control: no-cache</c> (or no-store) and <c>X-TokenOps-Cache: bypass</c>
/// skip lookup and store; <c>X-TokenOps-Cache: refresh</c> skips the lookup and stores the new answer. Any other value of
/// X-TokenOps-Cache is refused (400), so a typo never silently serves a cached answer the client meant to skip.
/// </summary>
public static class ClientDirective
{
    public const string Header = "X-TokenOps-Cache";

    public static CacheDirective Read(IHeaderDictionary headers)
    {
        var directive = CacheDirective.Default;
        foreach (var value in headers.CacheControl)
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                if (part.Equals("no-cache", StringComparison.OrdinalIgnoreCase) || part.Equals("no-store", StringComparison.OrdinalIgnoreCase))
                    directive = CacheDirective.Bypass;
        var ours = headers[Header];
        if (ours.Count == 0) return directive;
        if (ours.Count > 1) throw Invalid(string.Join(",", ours.ToArray()));
        var chosen = ours[0]?.Trim() ?? "";
        if (chosen.Equals("bypass", StringComparison.OrdinalIgnoreCase)) return CacheDirective.Bypass;
        if (chosen.Equals("refresh", StringComparison.OrdinalIgnoreCase)) return directive == CacheDirective.Bypass ? directive : CacheDirective.Refresh;
        throw Invalid(chosen);
    }

    private static GatewayException Invalid(string value) =>
        GatewayException.BadRequest("invalid_cache_directive",
            $"The {Header} header must be \"bypass\" or \"refresh\", not \"{HeaderValues.Encode(value.Length > 64 ? value[..64] : value)}\".", Header);
}
