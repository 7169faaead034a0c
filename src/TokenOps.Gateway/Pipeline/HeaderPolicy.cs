using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Which headers cross the gateway. Upstream, an allow-list per dialect: what the official SDKs send (Stainless
/// telemetry x-stainless-*, the API version and beta flags) and tracing, never the client's credentials, cookies
/// (the dashboard session among them), organisation or project selectors (the operator's key decides those) or
/// proxy headers. Downstream, an allow-list too: content type, rate limits, retry hints and request ids; cookies,
/// organisation ids and anything else the provider says about its account stay at the gateway.
/// </summary>
public static class HeaderPolicy
{
    /// <summary>Never sent upstream, whatever the configuration says (provider.forwardHeaders may not name them).</summary>
    private static readonly HashSet<string> NeverForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Authorization", "Proxy-Authorization", "x-api-key", "api-key", "Cookie", "Cookie2",
        "OpenAI-Organization", "OpenAI-Project", "Forwarded", "X-Real-IP", "Via", "Origin", "Referer",
        "Content-Length", "Content-Type", "Content-Encoding", "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade",
        "Proxy-Connection", "TE", "Trailer", "Accept-Encoding", "Expect",
    };

    private static readonly string[] NeverForwardedPrefixes = ["X-Forwarded-", "X-TokenOps-", "Proxy-"];

    private static readonly HashSet<string> Common = new(StringComparer.OrdinalIgnoreCase)
    {
        "Accept", "User-Agent", "Idempotency-Key", "X-Request-Id", "traceparent", "tracestate",
    };

    private static readonly HashSet<string> OpenAI = new(StringComparer.OrdinalIgnoreCase) { "OpenAI-Beta", "X-Client-Request-Id" };

    private static readonly HashSet<string> Anthropic = new(StringComparer.OrdinalIgnoreCase) { "anthropic-version", "anthropic-beta" };

    /// <summary>The SDKs' telemetry (language, version, OS, retry count, timeout), sent by every Stainless-generated SDK.</summary>
    private const string StainlessPrefix = "x-stainless-";

    private static readonly HashSet<string> Relayed = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Type", "Content-Encoding", "Cache-Control", "Retry-After", "retry-after-ms", "x-should-retry",
        "request-id", "x-request-id", "openai-processing-ms", "openai-version", "openai-model",
    };

    private static readonly string[] RelayedPrefixes = ["x-ratelimit-", "anthropic-ratelimit-"];

    /// <summary>Whether the client's header <paramref name="name"/> goes to <paramref name="provider"/>.</summary>
    public static bool ForwardsUpstream(string name, ProviderEndpoint provider)
    {
        if (IsNeverForwarded(name)) return false;
        if (Common.Contains(name) || name.StartsWith(StainlessPrefix, StringComparison.OrdinalIgnoreCase)) return true;
        if ((provider.Dialect == Dialect.Anthropic ? Anthropic : OpenAI).Contains(name)) return true;
        foreach (var extra in provider.ForwardHeaders)
            if (extra.EndsWith('*') ? name.StartsWith(extra.AsSpan(0, extra.Length - 1), StringComparison.OrdinalIgnoreCase)
                                    : name.Equals(extra, StringComparison.OrdinalIgnoreCase))
                return true;
        return false;
    }

    /// <summary>Whether the provider's response header <paramref name="name"/> reaches the client.</summary>
    public static bool RelaysDownstream(string name)
    {
        if (Relayed.Contains(name)) return true;
        foreach (var prefix in RelayedPrefixes)
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>True for a header (or a provider.forwardHeaders pattern such as "cookie*") the gateway never forwards.</summary>
    public static bool IsNeverForwarded(string nameOrPattern)
    {
        var name = nameOrPattern.TrimEnd('*');
        if (nameOrPattern.EndsWith('*'))
        {
            // A prefix pattern is refused when it could match a forbidden header ("x-forwarded*", "cook*", "*").
            foreach (var never in NeverForwarded)
                if (never.StartsWith(name, StringComparison.OrdinalIgnoreCase)) return true;
            foreach (var never in NeverForwardedPrefixes)
                if (never.StartsWith(name, StringComparison.OrdinalIgnoreCase) || name.StartsWith(never, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }
        if (NeverForwarded.Contains(name)) return true;
        foreach (var prefix in NeverForwardedPrefixes)
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
