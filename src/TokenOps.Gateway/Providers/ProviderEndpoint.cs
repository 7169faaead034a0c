using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Providers;

/// <summary>An upstream the operator configured. Clients can never choose its URL; they only choose a model.</summary>
public sealed record ProviderEndpoint(string Name, Dialect Dialect, Uri BaseUrl, Secret? ApiKey, TimeSpan Timeout)
{
    /// <summary>Client headers forwarded besides the dialect's allow-list: a name, or a prefix ending in '*' (<see cref="Pipeline.HeaderPolicy"/>).</summary>
    public IReadOnlyList<string> ForwardHeaders { get; init; } = [];

    /// <summary>The upstream URL for a route path such as "/v1/chat/completions", keeping any base path (".../api/v1").</summary>
    public Uri UrlFor(string routePath)
    {
        // A query (a stored response's "?stream=true&starting_after=N") goes on as it is; UriBuilder's Path would escape it.
        var query = "";
        if (routePath.IndexOf('?') is var q and >= 0) (routePath, query) = (routePath[..q], routePath[(q + 1)..]);
        var basePath = BaseUrl.AbsolutePath.TrimEnd('/');
        // Base URLs are conventionally given with or without "/v1"; never send "/v1/v1/...".
        var path = basePath.EndsWith("/v1", StringComparison.Ordinal) && routePath.StartsWith("/v1/", StringComparison.Ordinal)
            ? basePath + routePath[3..]
            : basePath + routePath;
        var url = new UriBuilder(BaseUrl) { Path = path };
        if (query.Length > 0) url.Query = query;
        return url.Uri;
    }
}
