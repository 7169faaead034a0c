using System.Text;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Batches;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Protocols;
using TokenOps.Storage;
using TokenOps.Storage.Journal;

namespace TokenOps.Gateway.Responses;

/// <summary>
/// The Responses API's stored responses: <c>GET /v1/responses/{id}</c>, <c>DELETE /v1/responses/{id}</c> and
/// <c>POST /v1/responses/{id}/cancel</c>, forwarded to the provider that holds the response. Each call is authenticated
/// and attributed and leaves one $0 row (the response's own row is its request's). Only the person whose request made
/// the response may reach it: anyone else gets the 404 of an unknown id, so ids cannot be probed. The owner is the
/// background response's record, else the ledger row of the request that made it. A background response seen ended
/// here is settled here; deleting one still running cancels it first, so its usage cannot leave the ledger.
/// </summary>
public sealed class StoredResponseEndpoints(AuthenticateStage authenticate, AttributeStage attribute, SettleStage settle, ModelRouterHolder router,
    IBatchStore store, ILedgerExplorer ledger, LedgerWriter writer, BatchUpstream upstream, BatchSettler settler, BackgroundResponses running, TimeProvider time)
{
    public const string RouteName = "openai.responses.stored";

    public static void Map(WebApplication app)
    {
        var e = app.Services.GetRequiredService<StoredResponseEndpoints>();
        app.MapGet("/v1/responses/{id}", (HttpContext http) => e.RunAsync(http, e.GetAsync)).WithMetadata(new MeteredRouteAttribute(RouteName));
        app.MapDelete("/v1/responses/{id}", (HttpContext http) => e.RunAsync(http, e.DeleteAsync)).WithMetadata(new MeteredRouteAttribute(RouteName));
        app.MapPost("/v1/responses/{id}/cancel", (HttpContext http) => e.RunAsync(http, e.CancelAsync)).WithMetadata(new MeteredRouteAttribute(RouteName));
    }

    private async Task RunAsync(HttpContext http, Func<ProxyContext, Target, Task> handler)
    {
        var context = new ProxyContext(http, new CallRoute(http.Request.Path), EventIds.New(time.GetUtcNow()), time.GetUtcNow());
        try
        {
            authenticate.Run(context);
            attribute.Run(context);
            http.Response.Headers["X-TokenOps-Request-Id"] = context.EventId;
            var id = http.Request.RouteValues["id"]?.ToString() ?? "";
            await handler(context, await OwnedAsync(context, id));
        }
        catch (GatewayException ex)
        {
            context.Fail(ex.Status, ex.Outcome, ex.Code);
            if (!http.Response.HasStarted)
            {
                http.Response.StatusCode = ex.Status;
                http.Response.ContentType = "application/json";
                await http.Response.Body.WriteAsync(ErrorBodies.Write(Dialect.OpenAI, ex.Status, ex.Code, ex.Message, ex.Param), http.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && http.RequestAborted.IsCancellationRequested)
        {
            // The client left (a resumed stream it stopped reading): the call's row says so.
            context.Fail(499, LedgerOutcome.ClientAborted, "client_aborted");
        }
        finally
        {
            settle.Settle(context);
        }
    }

    /// <summary>A response the caller may reach: its provider, and its background record when it has one.</summary>
    private sealed record Target(string Id, Providers.ProviderEndpoint Provider, StoredBatch? Background);

    private async Task<Target> OwnedAsync(ProxyContext context, string id)
    {
        var person = context.Key!.Person;
        if (id.Length is 0 or > 256) throw NotFound(id);
        string? provider = null;
        StoredBatch? background = null;
        if (store.Find(id) is { Protocol: BatchProtocols.BackgroundResponse } batch)
        {
            if (batch.Owner != person) throw NotFound(id);
            (provider, background) = (batch.Provider, batch);
        }
        else
        {
            var owner = ledger.ResponseOwner(id);
            if (owner is null)
            {
                // The row of a response made a moment ago may still be in this process's write batch.
                await writer.FlushAsync(context.Http.RequestAborted);
                owner = ledger.ResponseOwner(id);
            }
            if (owner is not null && owner.Person == person && owner.Provider is not null) provider = owner.Provider;
            // A streamed background response whose stream this process still relays (its client left a moment ago).
            else if (owner is null && running.Streaming(id) is { } streaming && streaming.Person == person) provider = streaming.Provider;
            else throw NotFound(id);
        }
        var endpoint = router.Current.Provider(provider!)
            ?? throw new GatewayException(503, "provider_not_configured", $"Provider '{provider}' that holds this response is no longer configured.");
        return new Target(id, endpoint, background);
    }

    private static GatewayException NotFound(string id) =>
        new(404, "response_not_found", $"No response found with id '{(id.Length > 64 ? id[..64] + "…" : id)}'.", "response_id");

    private async Task GetAsync(ProxyContext context, Target target)
    {
        var query = context.Http.Request.QueryString.Value ?? "";
        // A repeated parameter could be read one way here and another by the provider (a stream relayed as if JSON).
        foreach (var (name, values) in context.Http.Request.Query)
            if (values.Count > 1) throw GatewayException.BadRequest("invalid_request", $"Query parameter '{name}' is given more than once.", name);
        if (context.Http.Request.Query["stream"] == "true")
        {
            await StreamAsync(context, target, query);
            return;
        }
        var answer = await upstream.SendAsync(target.Provider, HttpMethod.Get, $"/v1/responses/{target.Id}{query}", null, context.Http.RequestAborted);
        await SettleIfEndedAsync(target, answer, context.Http.RequestAborted);
        await RelayAsync(context, answer);
    }

    /// <summary>
    /// Resumes a streamed background response (<c>?stream=true&amp;starting_after=N</c>): the provider's events are relayed
    /// as they come. The response's terminal event carries its final usage, so the response is settled from it, before
    /// that event reaches the client, as a proxied stream is. The call's own row stays $0.
    /// </summary>
    private async Task StreamAsync(ProxyContext context, Target target, string query)
    {
        var aborted = context.Http.RequestAborted;
        using var response = await upstream.OpenAsync(target.Provider, $"/v1/responses/{target.Id}{query}", aborted);
        if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            using var read = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            read.CancelAfter(target.Provider.Timeout);
            var answer = new UpstreamAnswer((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(read.Token), response.Content.Headers.ContentType?.ToString());
            // A provider that answers the response object instead of a stream: settled from it like a plain GET.
            await SettleIfEndedAsync(target, answer, aborted);
            await RelayAsync(context, answer);
            return;
        }
        var http = context.Http.Response;
        http.StatusCode = 200;
        http.ContentType = "text/event-stream; charset=utf-8";
        http.Headers.CacheControl = "no-cache";
        await using var stream = await response.Content.ReadAsStreamAsync(aborted);
        var buffer = new byte[16 * 1024];
        var filled = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        while (true)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            timeout.CancelAfter(target.Provider.Timeout);
            int read;
            try
            {
                read = await stream.ReadAsync(buffer.AsMemory(filled), timeout.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException && !aborted.IsCancellationRequested)
            {
                // The provider stalled or broke the stream: the response itself runs on and is settled by the poller.
                context.Fail(context.Status, LedgerOutcome.ProviderError, "upstream_stream_broken");
                context.Http.Abort();
                return;
            }
            if (read == 0) break;
            filled += read;
            var consumed = 0;
            while (SseFraming.TryReadEvent(buffer.AsSpan(consumed, filled - consumed), out var length, out var name, out var data))
            {
                if (TerminalResponse(name, data) is { } final
                    && (target.Background ?? store.Find(target.Id)) is { Protocol: BatchProtocols.BackgroundResponse } tracked)
                {
                    // Tracked since the GET began, if the stream it resumes was still being relayed then.
                    settler.Record(tracked, final);
                    await settler.TrySettleAsync(tracked.Id, aborted);
                }
                await http.Body.WriteAsync(buffer.AsMemory(consumed, length), aborted);
                consumed += length;
            }
            await http.Body.FlushAsync(aborted);
            buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
            filled -= consumed;
        }
        if (filled > 0) await http.Body.WriteAsync(buffer.AsMemory(0, filled), aborted);
    }

    /// <summary>The final response object a terminal Responses event carries (completed, incomplete, failed), else null.</summary>
    private static byte[]? TerminalResponse(ReadOnlySpan<byte> name, ReadOnlySpan<byte> data)
    {
        if (!Protocols.OpenAI.ResponsesMeter.IsTerminalEvent(name)) return null;
        try
        {
            var reader = new Utf8JsonReader(data);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("response", out var response)
                && response.ValueKind == JsonValueKind.Object
                ? Encoding.UTF8.GetBytes(response.GetRawText())
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task CancelAsync(ProxyContext context, Target target)
    {
        var answer = await upstream.SendAsync(target.Provider, HttpMethod.Post, $"/v1/responses/{target.Id}/cancel", BatchUpstream.Json("{}"u8.ToArray()), context.Http.RequestAborted);
        await SettleIfEndedAsync(target, answer, context.Http.RequestAborted);
        await RelayAsync(context, answer);
    }

    /// <summary>A background response is settled before it is deleted: cancelled first if it is still running.</summary>
    private async Task DeleteAsync(ProxyContext context, Target target)
    {
        var cancel = context.Http.RequestAborted;
        if (target.Background is { SettledAt: null } background)
        {
            var now = await upstream.SendAsync(target.Provider, HttpMethod.Get, $"/v1/responses/{target.Id}", null, cancel);
            if (now.Ok && !Ended(now.Body))
                now = await upstream.SendAsync(target.Provider, HttpMethod.Post, $"/v1/responses/{target.Id}/cancel", BatchUpstream.Json("{}"u8.ToArray()), cancel);
            await SettleIfEndedAsync(target, now, cancel);
            if (store.Find(background.Id) is not { SettledAt: not null })
                throw new GatewayException(409, "response_running",
                    "This background response is still running and could not be cancelled; TokenOps records its cost when it ends. Try again shortly.");
        }
        await RelayAsync(context, await upstream.SendAsync(target.Provider, HttpMethod.Delete, $"/v1/responses/{target.Id}", null, cancel));
    }

    private async Task SettleIfEndedAsync(Target target, UpstreamAnswer answer, CancellationToken cancel)
    {
        if (target.Background is not { } background || !answer.Ok || !IsJson(answer.ContentType)) return;
        try
        {
            settler.Record(background, answer.Body);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return; // not a response object: the poller settles it from a readable one
        }
        await settler.TrySettleAsync(background.Id, cancel);
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && System.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var type) && type.MediaType == "application/json";

    /// <summary>True when the provider's answer is a response object that has ended; anything unreadable has not.</summary>
    private static bool Ended(byte[] response)
    {
        try
        {
            using var doc = JsonDocument.Parse(response);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("status", out var s)
                && s.ValueKind == JsonValueKind.String && BackgroundResponses.IsEnded(s.GetString()!);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static Task RelayAsync(ProxyContext context, UpstreamAnswer answer) => UpstreamRelay.RelayAsync(context, answer);

    /// <summary>The ledger's route for these calls (no body is metered: their rows are $0).</summary>
    private sealed class CallRoute(string path) : ProtocolRoute
    {
        public override string Name => RouteName;
        public override string Path => path;
        public override Dialect Dialect => Dialect.OpenAI;
        public override RequestFacts Read(JsonElement root) => throw new NotSupportedException();
        public override UsageMeter CreateMeter(RequestFacts facts) => throw new NotSupportedException();
        public override void CollectPromptText(JsonElement root, StringBuilder text) { }
    }
}
