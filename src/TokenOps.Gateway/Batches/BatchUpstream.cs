using System.Net.Http.Headers;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Batches;

/// <summary>A provider's answer to one batch-lane call, read whole (batch objects and result files are bounded by the provider).</summary>
public sealed record UpstreamAnswer(int Status, byte[] Body, string? ContentType)
{
    public bool Ok => Status is >= 200 and < 300;
}

/// <summary>Calls the provider's batch and file endpoints with the operator's key (the client's key never leaves the gateway).</summary>
public sealed class BatchUpstream(HttpMessageInvoker http)
{
    public async Task<UpstreamAnswer> SendAsync(ProviderEndpoint provider, HttpMethod method, string path, HttpContent? content, CancellationToken cancel)
    {
        using var request = Request(provider, method, path, content);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(provider.Timeout);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            return new UpstreamAnswer((int)response.StatusCode, body, response.Content.Headers.ContentType?.ToString());
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancel.IsCancellationRequested)
        {
            throw Unreachable(provider, ex);
        }
    }

    /// <summary>Sends a GET and hands back the answer once its headers are in, for a body to be relayed as it comes (a stream).</summary>
    public async Task<HttpResponseMessage> OpenAsync(ProviderEndpoint provider, string path, CancellationToken cancel)
    {
        using var request = Request(provider, HttpMethod.Get, path, null);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(provider.Timeout);
        try
        {
            return await http.SendAsync(request, timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancel.IsCancellationRequested)
        {
            throw Unreachable(provider, ex);
        }
    }

    private static HttpRequestMessage Request(ProviderEndpoint provider, HttpMethod method, string path, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, provider.UrlFor(path)) { Content = content };
        var key = provider.ApiKey?.Reveal();
        if (provider.Dialect == Dialect.Anthropic)
        {
            if (key is not null) request.Headers.TryAddWithoutValidation("x-api-key", key);
            request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        }
        else if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return request;
    }

    private static GatewayException Unreachable(ProviderEndpoint provider, Exception ex) =>
        new(502, "upstream_unreachable", $"Provider '{provider.Name}' could not be reached for the batch call ({ex.GetType().Name}).");

    public static HttpContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}

/// <summary>A provider's answer relayed as it came (status, content type, body) to a call that is not a proxied model request.</summary>
public static class UpstreamRelay
{
    /// <summary>Writes the answer; a provider error marks the call's $0 row as one.</summary>
    public static async Task RelayAsync(Pipeline.ProxyContext context, UpstreamAnswer answer)
    {
        var response = context.Http.Response;
        context.Status = answer.Status;
        if (!answer.Ok)
        {
            context.Outcome = Core.Ledger.LedgerOutcome.ProviderError;
            context.ErrorCode = "provider_" + answer.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        response.StatusCode = answer.Status;
        response.ContentType = answer.ContentType ?? "application/json";
        response.ContentLength = answer.Body.Length;
        await response.Body.WriteAsync(answer.Body, context.Http.RequestAborted);
    }
}
