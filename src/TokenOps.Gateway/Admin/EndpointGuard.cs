using Microsoft.AspNetCore.Http.Features;

namespace TokenOps.Gateway.Admin;

/// <summary>
/// No work before authentication, and no unbounded body, on every endpoint that is not a proxied route (admin API,
/// dashboard API, webhooks, anything mapped later). Endpoints carry a guard as metadata: a check of the caller from
/// the headers alone, and the largest body they read. The middleware (<see cref="InvokeAsync"/>, between routing and
/// the endpoint, so before minimal-API body binding) runs the check first; then refuses a larger Content-Length with
/// 413 at once, or reads the body up to the bound (a chunked body is stopped when it passes it) into memory for the
/// endpoint. A refusal with a body still unread closes the connection instead of draining it.
/// Endpoints with no guard get <see cref="Default"/>: no check of their own, at most <see cref="DefaultMaxBodyBytes"/>.
/// Proxied routes (<see cref="MeteredRouteAttribute"/>) are left to the read stage, which applies the configured
/// maxRequestBodyBytes and answers in the client's protocol.
/// </summary>
public sealed class EndpointGuard(long maxBodyBytes, Func<HttpContext, IResult?>? authenticate = null)
{
    public const long DefaultMaxBodyBytes = 1024 * 1024;

    public static readonly EndpointGuard Default = new(DefaultMaxBodyBytes);

    /// <summary>The largest body the endpoint reads, in bytes.</summary>
    public long MaxBodyBytes { get; } = maxBodyBytes;

    /// <summary>Decides from headers only: null lets the request through, a result refuses it (401, 503, …).</summary>
    public Func<HttpContext, IResult?>? Authenticate { get; } = authenticate;

    public static async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        var endpoint = http.GetEndpoint();
        var limit = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (endpoint?.Metadata.GetMetadata<MeteredRouteAttribute>() is not null)
        {
            if (limit is { IsReadOnly: false }) limit.MaxRequestBodySize = null;
            await next(http);
            return;
        }
        var guard = endpoint?.Metadata.GetMetadata<EndpointGuard>() ?? Default;
        // Kestrel's own limit too: it also bounds what it would drain after a refusal.
        if (limit is { IsReadOnly: false }) limit.MaxRequestBodySize = guard.MaxBodyBytes;
        if (guard.Authenticate?.Invoke(http) is { } refusal)
        {
            await RefuseAsync(http, refusal);
            return;
        }
        if (http.Request.ContentLength > guard.MaxBodyBytes)
        {
            await RefuseAsync(http, TooLarge(guard.MaxBodyBytes));
            return;
        }
        if (http.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            var body = await ReadAsync(http, guard.MaxBodyBytes);
            if (body is null)
            {
                await RefuseAsync(http, TooLarge(guard.MaxBodyBytes));
                return;
            }
            http.Request.Body = body;
        }
        await next(http);
    }

    /// <summary>The body in memory, or null when it is larger than <paramref name="max"/>.</summary>
    private static async Task<MemoryStream?> ReadAsync(HttpContext http, long max)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > max) return null;
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        buffer.Position = 0;
        return buffer;
    }

    private static async Task RefuseAsync(HttpContext http, IResult refusal)
    {
        // Whatever of the body is still on its way is not read: close the connection rather than drain it.
        if (http.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true) http.Response.Headers.Connection = "close";
        await refusal.ExecuteAsync(http);
    }

    private static IResult TooLarge(long max) =>
        AdminEndpoints.Problem(413, "payload_too_large", $"The request body is larger than this endpoint accepts ({max} bytes).");
}

/// <summary>Registers <see cref="EndpointGuard"/>'s middleware.</summary>
public static class EndpointGuardExtensions
{
    public static WebApplication UseEndpointGuard(this WebApplication app)
    {
        app.Use(EndpointGuard.InvokeAsync);
        return app;
    }
}
