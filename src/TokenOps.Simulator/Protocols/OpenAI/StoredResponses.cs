using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using TokenOps.Core.Metering;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols.OpenAI;

/// <summary>
/// The Responses API's stored responses: <c>GET /v1/responses/{id}</c>, <c>DELETE /v1/responses/{id}</c> and
/// <c>POST /v1/responses/{id}/cancel</c>. A response is stored unless the request said <c>store: false</c>. A background
/// response (<c>background: true</c>) is answered at once as <c>queued</c> and finishes <see cref="BackgroundMs"/> later
/// (on the simulator's clock; <c>x-sim-latency-ms</c> overrides it): it is billed then, when it is first looked at after
/// that time, as a provider bills a job it ran. Cancelling one that has not finished makes it <c>cancelled</c>, unbilled;
/// only background responses can be cancelled. A streamed background response's events are the job's: the creating
/// call plays them as they are generated, and <c>GET …?stream=true&amp;starting_after=N</c> plays them again from
/// sequence number N + 1, paced on the same schedule, ending early if the response is cancelled.
/// </summary>
internal sealed class StoredResponses(SimHost host)
{
    public const int BackgroundMs = 200;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed class Entry(byte[] final, bool background, DateTimeOffset dueAt, BillEntry? bill, SseRecording? events = null)
    {
        /// <summary>The stream of a streamed background response, and when it started (a <see cref="System.Diagnostics.Stopwatch"/> stamp).</summary>
        public SseRecording? Events { get; } = events;

        public long StartedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

        public byte[] Final { get; } = final;
        public bool Background { get; } = background;
        public DateTimeOffset DueAt { get; } = dueAt;
        public BillEntry? Bill { get; } = bill;
        /// <summary>pending, done or cancelled; changed under the entry's lock.</summary>
        public string State { get; set; } = background ? "pending" : "done";
        public Lock Gate { get; } = new();
    }

    public void Store(string id, byte[] finalJson) => _entries[id] = new Entry(finalJson, false, default, null);

    /// <summary>Stores a background response; its bill entry is recorded when it finishes.</summary>
    public void StoreBackground(string id, byte[] finalJson, DateTimeOffset dueAt, BillEntry bill, SseRecording? events) =>
        _entries[id] = new Entry(finalJson, true, dueAt, bill, events);

    public async Task GetAsync(HttpContext context)
    {
        if (await FindAsync(context) is not { } entry) return;
        if (context.Request.Query["stream"] is { Count: > 0 } stream && stream[0] == "true")
        {
            if (entry.Events is null)
            {
                await ProtocolErrors.OpenAIAsync(context, 400, "This response was not created with background and stream set to true, so it cannot be streamed.", param: "stream", code: "invalid_value");
                return;
            }

            var after = context.Request.Query["starting_after"];
            var startingAfter = -1;
            if (after.Count > 0 && (!int.TryParse(after[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out startingAfter)))
            {
                await ProtocolErrors.OpenAIAsync(context, 400, $"Invalid 'starting_after': expected a sequence number, got '{after[0]}'.", param: "starting_after", code: "invalid_value");
                return;
            }

            await PlayAsync(context, (string)context.Request.RouteValues["id"]!, startingAfter);
            return;
        }

        await WriteAsync(context, View(entry));
    }

    /// <summary>
    /// Plays a streamed background response's events after sequence number <paramref name="startingAfter"/>, each at
    /// its time from the stream's start. The job finishes (and is billed, once) when its terminal events are due,
    /// whoever is listening. A client that leaves stops only its own playback.
    /// </summary>
    public async Task PlayAsync(HttpContext context, string id, int startingAfter)
    {
        if (!_entries.TryGetValue(id, out var entry) || entry.Events is not { } recording) return;
        using var sse = new SseWriter(context);
        context.Response.Headers["x-request-id"] = "req_" + Guid.NewGuid().ToString("N")[..16];
        try
        {
            for (var i = startingAfter + 1; i < recording.Events.Count; i++)
            {
                var (atMs, bytes) = recording.Events[i];
                var wait = atMs - (long)System.Diagnostics.Stopwatch.GetElapsedTime(entry.StartedAt).TotalMilliseconds;
                if (wait > 0)
                {
                    await sse.FlushAsync();
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), context.RequestAborted);
                }

                if (i >= recording.JobDoneAt)
                {
                    View(entry, force: true);
                }

                lock (entry.Gate)
                {
                    if (entry.State == "cancelled") break;
                }

                sse.WriteRaw(bytes);
            }

            await sse.FlushAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client left; the job runs on.
        }
    }

    public async Task DeleteAsync(HttpContext context)
    {
        if (await FindAsync(context) is not { } entry) return;
        var id = (string)context.Request.RouteValues["id"]!;
        View(entry); // a finished background response is billed even when deleted unseen
        _entries.TryRemove(id, out _);
        await WriteAsync(context, JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["id"] = id, ["object"] = "response.deleted", ["deleted"] = true }));
    }

    public async Task CancelAsync(HttpContext context)
    {
        if (await FindAsync(context) is not { } entry) return;
        if (!entry.Background)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "Only responses created with background set to true can be cancelled.", code: "invalid_request_error");
            return;
        }

        lock (entry.Gate)
        {
            if (entry.State == "pending" && host.Options.TimeProvider.GetUtcNow() < entry.DueAt) entry.State = "cancelled";
        }

        await WriteAsync(context, View(entry));
    }

    private async Task<Entry?> FindAsync(HttpContext context)
    {
        if (!await OpenAIRequest.AuthenticateAsync(context, host.Options)) return null;
        var id = (string)context.Request.RouteValues["id"]!;
        if (_entries.TryGetValue(id, out var entry)) return entry;
        await ProtocolErrors.OpenAIAsync(context, 404, $"Response with id '{id}' not found.", code: null);
        return null;
    }

    /// <summary>The response as it stands now: a background one finishes (and is billed, once) when its time has come.</summary>
    private byte[] View(Entry entry, bool force = false)
    {
        lock (entry.Gate)
        {
            if (entry.State == "pending" && (force || host.Options.TimeProvider.GetUtcNow() >= entry.DueAt))
            {
                entry.State = "done";
                if (entry.Bill is { } bill && host.Options.RecordBill) host.Bill.Record(bill with { Timestamp = host.Options.TimeProvider.GetUtcNow() });
            }

            if (entry.State == "done") return entry.Final;
            var node = JsonNode.Parse(entry.Final)!.AsObject();
            node["status"] = entry.State == "cancelled" ? "cancelled" : "queued";
            node["output"] = new JsonArray();
            node["usage"] = null;
            node["incomplete_details"] = null;
            return JsonSerializer.SerializeToUtf8Bytes(node);
        }
    }

    private static async Task WriteAsync(HttpContext context, byte[] body)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.Headers["x-request-id"] = "req_" + Guid.NewGuid().ToString("N")[..16];
        await context.Response.WriteBodyAsync(body, context.RequestAborted);
    }
}
