using System.Net.Http.Headers;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Builds the upstream request: the client's headers that <see cref="HeaderPolicy"/> allows for the provider, plus the
/// provider's credential. Accept-Encoding is never forwarded, so that the response can be scanned as it streams.
/// </summary>
public static class UpstreamRequestFactory
{
    public static HttpRequestMessage Create(ProxyContext context, byte[] body)
    {
        var route = context.ModelRoute!;
        var message = new HttpRequestMessage(HttpMethod.Post, route.Provider.UrlFor(context.Route.Path))
        {
            Content = new ByteArrayContent(body),
            Version = System.Net.HttpVersion.Version11,
        };
        if (context.Form is { } form) message.Content.Headers.TryAddWithoutValidation("Content-Type", form.ContentType);
        else message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, values) in context.Http.Request.Headers)
        {
            if (!HeaderPolicy.ForwardsUpstream(name, route.Provider)) continue;
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
