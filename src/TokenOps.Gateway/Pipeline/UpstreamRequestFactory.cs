using System.Net.Http.Headers;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Builds the upstream request: the client's headers minus hop-by-hop, its credentials and TokenOps' own headers,
/// plus the provider's credential. Accept-Encoding is dropped so that the response can be scanned as it streams.
/// </summary>
public static class UpstreamRequestFactory
{
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Authorization", "x-api-key", "Content-Length", "Content-Type", "Connection", "Keep-Alive",
        "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Proxy-Authorization", "TE", "Trailer", "Accept-Encoding",
        "Expect",
    };

    public static HttpRequestMessage Create(ProxyContext context, byte[] body)
    {
        var route = context.ModelRoute!;
        var message = new HttpRequestMessage(HttpMethod.Post, route.Provider.UrlFor(context.Route.Path))
        {
            Content = new ByteArrayContent(body),
            Version = System.Net.HttpVersion.Version11,
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, values) in context.Http.Request.Headers)
        {
            if (Dropped.Contains(name) || name.StartsWith("X-TokenOps-", StringComparison.OrdinalIgnoreCase)) continue;
            if (values.Count == 1) message.Headers.TryAddWithoutValidation(name, values[0]);
            else message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        var key = route.Provider.ApiKey?.Reveal();
        if (route.Provider.Dialect == Dialect.Anthropic)
        {
            if (key is not null) message.Headers.TryAddWithoutValidation("x-api-key", key);
            if (!message.Headers.Contains("anthropic-version")) message.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        }
        else if (key is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return message;
    }
}
