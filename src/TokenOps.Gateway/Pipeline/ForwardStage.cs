using System.Buffers;
using TokenOps.Core.Buffers;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Sends the request upstream and relays the answer. SSE streams are relayed event by event as they arrive, each
/// event shown to the meter first; the terminal event is only forwarded after the ledger event is journalled.
/// Non-streaming JSON is relayed once complete, after journalling, so a crash can never lose a response the
/// client saw. Upstream waits are bounded by the provider's timeout (headers, and each read of a stream).
/// </summary>
public sealed class ForwardStage(HttpMessageInvoker upstream, SettleStage settle, Responses.BackgroundResponses background)
{
    private const int MaxJsonResponseBytes = 256 * 1024 * 1024;

    public async Task RunAsync(ProxyContext context)
    {
        var facts = context.Facts!;
        var route = context.ModelRoute!;
        var body = context.Form is { } form
            ? route.ServedModel == facts.Model ? context.Body! : form.With("model", route.ServedModel)
            : context.Route.PrepareUpstreamBody(context.Body!, facts, route.ServedModel);
        var aborted = context.Http.RequestAborted;
        // Once sent, the request is the provider's to finish and bill: a client that gives up before the answer does not
        // stop that. So waiting for the answer (its headers, and a JSON body) is bounded by the provider's timeout alone,
        // not by the client, and the usage it reports is what the ledger records.
        using var timeout = new CancellationTokenSource(route.Provider.Timeout);
        using var request = UpstreamRequestFactory.Create(context, body);
        HttpResponseMessage response;
        try
        {
            response = await upstream.SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new UpstreamFailure(504, LedgerOutcome.UpstreamTimeout, "upstream_timeout",
                $"Provider '{route.Provider.Name}' did not answer within {route.Provider.Timeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException ex)
        {
            throw new UpstreamFailure(502, LedgerOutcome.UpstreamUnreachable, "upstream_unreachable",
                $"Provider '{route.Provider.Name}' could not be reached: {ex.HttpRequestError}.");
        }
        using (response)
        {
            var http = context.Http.Response;
            http.StatusCode = (int)response.StatusCode;
            CopyHeaders(response, http);
            http.Headers["X-TokenOps-Request-Id"] = context.EventId;
            if (!response.IsSuccessStatusCode)
            {
                await RelayProviderErrorAsync(context, response, timeout);
                return;
            }
            context.Meter = context.Route.CreateMeter(facts, route);
            var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            var isSse = response.Content.Headers.ContentType?.MediaType == "text/event-stream";
            try
            {
                if (isSse)
                {
                    // A stream is the client's to stop: when it goes, the upstream stream is cut (the provider stops
                    // generating) and what was generated is estimated.
                    using var relay = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                    await RelaySseAsync(context, stream, relay, route.Provider.Timeout);
                }
                else
                {
                    await RelayJsonAsync(context, stream, timeout, route.Provider.Timeout);
                }
            }
            catch (ClientGone)
            {
                // Seen by a write before Kestrel signals RequestAborted (that signal comes later, on the thread pool):
                // the client left, the provider did not time out.
                context.Fail(499, LedgerOutcome.ClientAborted, "client_aborted");
                context.Http.Abort();
            }
            catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
            {
                context.Fail(context.Status, LedgerOutcome.UpstreamTimeout, "upstream_timeout");
                context.Http.Abort();
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException && !aborted.IsCancellationRequested)
            {
                // The provider broke the stream: bill what it generated, and let the client see a broken stream, not a clean end.
                context.Fail(context.Status, LedgerOutcome.ProviderError, "upstream_stream_broken");
                context.Http.Abort();
            }
        }
    }

    /// <summary>
    /// Copies the provider's headers that <see cref="HeaderPolicy"/> relays (rate limits, request ids, content type),
    /// as received: the non-validated view neither parses nor re-formats them. A value Kestrel would refuse (non-ASCII,
    /// control characters) is left out rather than failing the response.
    /// </summary>
    private static void CopyHeaders(HttpResponseMessage from, HttpResponse to)
    {
        foreach (var (name, values) in from.Headers.NonValidated)
            if (HeaderPolicy.RelaysDownstream(name)) Copy(to, name, values);
        foreach (var (name, values) in from.Content.Headers.NonValidated)
            if (HeaderPolicy.RelaysDownstream(name)) Copy(to, name, values);
    }

    private static void Copy(HttpResponse to, string name, System.Net.Http.Headers.HeaderStringValues values)
    {
        var v = Values(values);
        foreach (var one in v)
            if (!HeaderValues.IsSafe(one)) return;
        to.Headers[name] = v;
    }

    private static Microsoft.Extensions.Primitives.StringValues Values(System.Net.Http.Headers.HeaderStringValues values)
    {
        if (values.Count == 1)
            foreach (var value in values) return value;
        return values.ToArray();
    }

    private async Task RelayProviderErrorAsync(ProxyContext context, HttpResponseMessage response, CancellationTokenSource timeout)
    {
        var status = (int)response.StatusCode;
        context.Fail(status, LedgerOutcome.ProviderError, "provider_" + status);
        var bytes = await response.Content.ReadAsByteArrayAsync(timeout.Token);
        if (response.Content.Headers.ContentType?.MediaType != "application/json" || response.Content.Headers.ContentEncoding.Count > 0)
        {
            // Not the protocol's error shape (a proxy's HTML page, say), or compressed past the scrubber: answer in the
            // client's protocol instead.
            context.Http.Response.Headers.ContentEncoding = default;
            bytes = ErrorBodies.Write(context.Route.Dialect, status, "provider_error",
                $"Provider '{context.ModelRoute!.Provider.Name}' answered HTTP {status}.");
            context.Http.Response.ContentType = "application/json";
        }
        else
        {
            // Providers quote the key they were given when they refuse it: never hand the operator's key to a client.
            bytes = CredentialScrubber.Scrub(bytes, context.ModelRoute!.Provider.ApiKey?.Reveal());
        }
        settle.Settle(context);
        context.Http.Response.ContentLength = bytes.Length;
        await context.Http.Response.Body.WriteAsync(bytes, context.Http.RequestAborted);
    }

    private async Task RelayJsonAsync(ProxyContext context, Stream stream, CancellationTokenSource timeout, TimeSpan readTimeout)
    {
        // A pooled buffer: a fresh 16 KB array per request was a measurable share of the gateway's CPU (allocation
        // and zeroing) under load.
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length) PooledBuffer.Grow(ref buffer, filled);
                timeout.CancelAfter(readTimeout);
                var read = await stream.ReadAsync(buffer.AsMemory(filled), timeout.Token);
                if (read == 0) break;
                filled += read;
                if (filled > MaxJsonResponseBytes) throw new IOException("provider response too large");
            }
            try
            {
                context.Meter!.OnJson(buffer.AsMemory(0, filled));
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
            {
                // An unreadable success body (not JSON, a lone surrogate, a count past long) still cost tokens: the
                // settle stage estimates them.
            }
            // A cascade judges a cheaper model's answer before anyone sees it; a failing one is billed on its own row.
            if (context.AnswerCheck?.Invoke(buffer.AsMemory(0, filled)) is { } failed) throw new Routing.CascadeEscalation(failed);
            context.AnswerCapture?.OnJson(buffer.AsMemory(0, filled));
            // The client may have left while the provider answered: the row says so, with the usage the provider reported.
            if (context.Http.RequestAborted.IsCancellationRequested) context.Fail(499, LedgerOutcome.ClientAborted, "client_aborted");
            settle.Settle(context);
            if (context.Http.RequestAborted.IsCancellationRequested) return;
            context.Http.Response.ContentLength = filled;
            await context.Http.Response.Body.WriteAsync(buffer.AsMemory(0, filled), context.Http.RequestAborted);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>An event the meter cannot read is relayed as it is; what the meter read before it still counts.</summary>
    private static bool MeterEvent(Metering.UsageMeter meter, ReadOnlySpan<byte> name, ReadOnlySpan<byte> data)
    {
        try
        {
            return meter.OnEvent(name, data);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException or OverflowException)
        {
            return true;
        }
    }

    /// <summary>Flushes relayed events; a client that is gone surfaces as <see cref="ClientGone"/>, whatever the transport says.</summary>
    private static async ValueTask FlushToClientAsync(System.IO.Pipelines.PipeWriter output, CancellationToken aborted)
    {
        System.IO.Pipelines.FlushResult flush;
        try
        {
            flush = await output.FlushAsync(aborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            throw new ClientGone(ex);
        }
        if (flush.IsCanceled || flush.IsCompleted) throw new ClientGone(null);
    }

    /// <summary>The client's side of a stream closed while events were being relayed to it.</summary>
    private sealed class ClientGone(Exception? inner) : Exception("The client closed the stream.", inner);

    private async Task RelaySseAsync(ProxyContext context, Stream stream, CancellationTokenSource timeout, TimeSpan readTimeout)
    {
        var meter = context.Meter!;
        var output = context.Http.Response.BodyWriter;
        var aborted = context.Http.RequestAborted;
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var filled = 0;
        var backgroundUnseen = context.Facts!.Background;
        try
        {
            while (true)
            {
                if (filled == buffer.Length) PooledBuffer.Grow(ref buffer, filled);
                timeout.CancelAfter(readTimeout);
                var read = await stream.ReadAsync(buffer.AsMemory(filled), timeout.Token);
                if (read == 0) break;
                filled += read;
                var consumed = 0;
                var wrote = false;
                // Forwarded events are copied to the client in runs (one write per run, not per event); a run ends at an
                // event the client must not see, and before the terminal event, which may only go out once settled.
                var runStart = 0;
                while (SseFraming.TryReadEvent(buffer.AsSpan(consumed, filled - consumed), out var length, out var name, out var data))
                {
                    var forward = MeterEvent(meter, name, data);
                    context.AnswerCapture?.OnEvent(name, data);
                    if (meter.IsTerminal && !context.Settled)
                    {
                        if (consumed > runStart) output.Write(buffer.AsSpan(runStart, consumed - runStart));
                        runStart = consumed;
                        settle.Settle(context);
                    }
                    if (!forward)
                    {
                        if (consumed > runStart) output.Write(buffer.AsSpan(runStart, consumed - runStart));
                        runStart = consumed + length;
                    }
                    wrote |= forward;
                    consumed += length;
                }
                if (consumed > runStart) output.Write(buffer.AsSpan(runStart, consumed - runStart));
                if (backgroundUnseen && meter.ProviderRequestId is not null && !context.Settled)
                {
                    // Noted before the flush that shows the client the response's id, so a resume can always find its owner.
                    background.StreamStarted(context);
                    backgroundUnseen = false;
                }
                if (wrote)
                {
                    context.TimeToFirstTokenMs ??= context.ElapsedMs;
                    await FlushToClientAsync(output, aborted);
                }
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
            if (filled > 0)
            {
                output.Write(buffer.AsSpan(0, filled));
                await FlushToClientAsync(output, aborted);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>The provider could not be used at all (no answer, no connection); carries the ledger outcome.</summary>
public sealed class UpstreamFailure(int status, LedgerOutcome outcome, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public LedgerOutcome Outcome { get; } = outcome;
    public string Code { get; } = code;
}
