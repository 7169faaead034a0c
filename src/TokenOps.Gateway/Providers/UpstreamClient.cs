using System.Net;

namespace TokenOps.Gateway.Providers;

/// <summary>
/// The one HTTP client the gateway talks to providers with (also used by bench/'s bare relay, so that the baseline
/// runs exactly the gateway's client settings). No proxy, redirects, cookies or decompression: the gateway relays the
/// provider's bytes and scans them as they stream.
/// </summary>
public static class UpstreamClient
{
    public static HttpMessageInvoker Create() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    });
}
