using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Simulator.Infrastructure;
using TokenOps.Simulator.Generation;

namespace TokenOps.Simulator.Protocols.OpenAI;

/// <summary>
/// <c>POST /v1/responses</c>: one assistant message with one output_text part. Streamed as typed events
/// (<c>event: response.…</c> + <c>data: {"type":…,"sequence_number":n,…}</c>), terminal event
/// <c>response.completed</c>, or <c>response.incomplete</c> when max_output_tokens cut the output.
/// </summary>
internal sealed class ResponsesEndpoint(SimHost host, StoredResponses stored)
{
    public async Task HandleAsync(HttpContext context)
    {
        context.Response.Headers["x-request-id"] = host.NewId("req_");
        using var input = await OpenAIRequest.ReadAsync(context, host.Options);
        if (input is null)
        {
            return;
        }

        var (root, model) = (input.Root, input.Model);

        var (ok, maxOutput) = await OpenAIRequest.LimitAsync(context, root, "max_output_tokens", 16);
        if (!ok)
        {
            return;
        }

        var (tierOk, tierName, tier) = await OpenAIRequest.ServiceTierAsync(context, root);
        if (!tierOk)
        {
            return;
        }

        if (await OpenAIRequest.FaultAsync(context, host) is not { } fault)
        {
            return;
        }

        var stream = root.TrueProp("stream"u8);
        // A web_search tool: the simulated model searches once (a web_search_call output item before the message), billed per call.
        var plan = UsageRules.OpenAIResponses(root, model, maxOutput, host.PromptCache) with { WebSearches = HasWebSearchTool(root) ? 1 : 0 };
        var call = host.NewCall(context, SimProtocols.OpenAIResponses, host.NewId("resp_"), model, plan, tier, fault, stream);
        using var text = new PooledBufferWriter(plan.VisibleWords * TextGenerator.MaxWordBytes + 16);
        TextGenerator.WriteAll(plan.Seed, plan.VisibleWords, text);
        var store = root.Prop("store"u8) is not { ValueKind: JsonValueKind.False };
        var background = root.TrueProp("background"u8);
        var state = new ResponseState(call, tierName, root, host.NewId("msg_"), text)
        {
            SearchId = plan.WebSearches > 0 ? host.NewId("ws_") : null,
            Stored = store ? stored : null,
        };
        if (background)
        {
            await BackgroundAsync(state, host, stored, stream);
            return;
        }

        await call.RunAsync(stream ? _ => StreamAsync(state) : _ => CompleteAsync(state));
    }

    private sealed class ResponseState(SimCall call, string tierName, JsonElement request, string itemId, PooledBufferWriter text)
    {
        public SimCall Call { get; } = call;

        public string TierName { get; } = tierName;

        public JsonElement Request { get; } = request;

        public string ItemId { get; } = itemId;

        public PooledBufferWriter Text { get; } = text;

        /// <summary>The web_search_call item's id when the model searched (it is output item 0 and the message item 1).</summary>
        public string? SearchId { get; init; }

        public int MessageIndex => SearchId is null ? 0 : 1;

        public bool Incomplete => Call.Plan.Truncated;

        /// <summary>Where the finished response is kept for GET /v1/responses/{id}; null under <c>store: false</c>.</summary>
        public StoredResponses? Stored { get; init; }

        public ReadOnlySpan<byte> FinalStatus => Incomplete ? "incomplete"u8 : "completed"u8;
    }

    private enum Phase
    {
        InProgress,
        Final,
    }

    private static async Task CompleteAsync(ResponseState state)
    {
        var call = state.Call;
        await call.DelayAsync(call.DelayBeforeFirstByteMs);
        if (call.Fault.Kind == SimFaultKind.Hang)
        {
            await call.HangAsync();
            return;
        }

        using var buffer = new PooledBufferWriter(state.Text.WrittenCount + 2048);
        using (var json = new Utf8JsonWriter(buffer, JsonSettings.WriterOptions))
        {
            WriteResponse(json, state, Phase.Final);
        }

        state.Stored?.Store(call.Id, buffer.WrittenSpan.ToArray());
        await NonStreamed.WriteAsync(call, buffer);
    }

    /// <summary>
    /// <c>background: true</c>: stored as queued, finished and billed later (<see cref="StoredResponses"/>). It needs
    /// <c>store</c>. Streamed, the events go out as they are generated, but the response belongs to the background job:
    /// a client that goes away mid-stream leaves it running, to finish (and be billed) when the stream would have ended.
    /// </summary>
    private static async Task BackgroundAsync(ResponseState state, SimHost host, StoredResponses stored, bool stream)
    {
        var call = state.Call;
        if (state.Stored is null)
        {
            await ProtocolErrors.OpenAIAsync(call.Http, 400, "Background responses require store to be true.", param: "store", code: "invalid_value");
            return;
        }

        using var final = new PooledBufferWriter(state.Text.WrittenCount + 2048);
        using (var json = new Utf8JsonWriter(final, JsonSettings.WriterOptions))
        {
            WriteResponse(json, state, Phase.Final);
        }

        var bill = new BillEntry(call.Id, SimProtocols.OpenAIResponses, call.Model, call.Plan.ToTokenUsage(call.Tier), stream, true, call.CreatedAt);
        if (stream)
        {
            // The events are the job's, not the connection's: rendered now, then played to this client (and to any
            // that resumes), paced as they are generated.
            var recording = new SseRecording();
            call.BilledByTheJob();
            await StreamAsync(state, recording);
            stored.StoreBackground(call.Id, final.WrittenSpan.ToArray(), call.CreatedAt.AddMilliseconds(recording.JobDoneAtMs), bill, recording);
            await stored.PlayAsync(call.Http, call.Id, startingAfter: -1);
            return;
        }

        var delay = call.DelayBeforeFirstByteMs > 0 ? call.DelayBeforeFirstByteMs : StoredResponses.BackgroundMs;
        stored.StoreBackground(call.Id, final.WrittenSpan.ToArray(), call.CreatedAt.AddMilliseconds(delay), bill, null);
        using var queued = new PooledBufferWriter(2048);
        using (var json = new Utf8JsonWriter(queued, JsonSettings.WriterOptions))
        {
            WriteResponse(json, state, Phase.InProgress);
        }

        var node = System.Text.Json.Nodes.JsonNode.Parse(queued.WrittenSpan)!.AsObject();
        node["status"] = "queued";
        var response = call.Http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.Headers["x-request-id"] = call.Id;
        await response.WriteBodyAsync(JsonSerializer.SerializeToUtf8Bytes(node), call.Aborted);
    }

    /// <summary>Streams the response to the caller, or renders it into <paramref name="recording"/> (a background job's stream).</summary>
    private static async Task StreamAsync(ResponseState state, SseRecording? recording = null)
    {
        var call = state.Call;
        var plan = call.Plan;
        if (recording is null)
        {
            await call.DelayAsync(call.DelayBeforeFirstByteMs);
        }
        else
        {
            recording.Wait(call.DelayBeforeFirstByteMs);
        }

        using var sse = recording is null ? new SseWriter(call.Http) : new SseWriter(recording);
        var sequence = 0;

        var json = Begin(sse, "response.created"u8, ref sequence);
        json.WritePropertyName("response"u8);
        WriteResponse(json, state, Phase.InProgress);
        End(sse, json);

        json = Begin(sse, "response.in_progress"u8, ref sequence);
        json.WritePropertyName("response"u8);
        WriteResponse(json, state, Phase.InProgress);
        End(sse, json);

        if (state.SearchId is not null)
        {
            WriteSearchEvents(sse, state, ref sequence);
        }

        json = Begin(sse, "response.output_item.added"u8, ref sequence);
        json.WriteNumber("output_index"u8, state.MessageIndex);
        json.WritePropertyName("item"u8);
        WriteMessageItem(json, state, Phase.InProgress);
        End(sse, json);

        json = Begin(sse, "response.content_part.added"u8, ref sequence);
        WritePartRef(json, state);
        json.WritePropertyName("part"u8);
        WriteTextPart(json, ReadOnlySpan<byte>.Empty);
        End(sse, json);

        var words = plan.VisibleWords;
        var faultAfter = recording is null ? NonStreamed.FaultPoint(call.Fault.Kind, words) : -1;
        if (await FaultAsync(state, sse, 0, faultAfter))
        {
            return;
        }

        var generator = new TextGenerator(plan.Seed);
        var word = new byte[TextGenerator.MaxWordBytes];
        for (var i = 0; i < words; i++)
        {
            var n = generator.NextWord(word, i == words - 1);
            json = Begin(sse, "response.output_text.delta"u8, ref sequence);
            WritePartRef(json, state);
            json.WriteString("delta"u8, word.AsSpan(0, n));
            json.WriteStartArray("logprobs"u8);
            json.WriteEndArray();
            End(sse, json);
            if (i == 0)
            {
                await sse.FlushAsync();
            }

            if (await FaultAsync(state, sse, i + 1, faultAfter))
            {
                return;
            }

            if (i < words - 1)
            {
                await sse.PaceAsync(call.ChunkDelayMs);
            }
        }

        call.Record(completed: true);
        // A background job is done (and billed) before its terminal events go out, as a synchronous stream is.
        recording?.MarkJobDone();

        json = Begin(sse, "response.output_text.done"u8, ref sequence);
        WritePartRef(json, state);
        json.WriteString("text"u8, state.Text.WrittenSpan);
        json.WriteStartArray("logprobs"u8);
        json.WriteEndArray();
        End(sse, json);

        json = Begin(sse, "response.content_part.done"u8, ref sequence);
        WritePartRef(json, state);
        json.WritePropertyName("part"u8);
        WriteTextPart(json, state.Text.WrittenSpan);
        End(sse, json);

        json = Begin(sse, "response.output_item.done"u8, ref sequence);
        json.WriteNumber("output_index"u8, state.MessageIndex);
        json.WritePropertyName("item"u8);
        WriteMessageItem(json, state, Phase.Final);
        End(sse, json);

        json = Begin(sse, state.Incomplete ? "response.incomplete"u8 : "response.completed"u8, ref sequence);
        json.WritePropertyName("response"u8);
        WriteResponse(json, state, Phase.Final);
        End(sse, json);
        if (recording is null && state.Stored is { } stored)
        {
            using var final = new PooledBufferWriter(state.Text.WrittenCount + 2048);
            using (var finalJson = new Utf8JsonWriter(final, JsonSettings.WriterOptions))
            {
                WriteResponse(finalJson, state, Phase.Final);
            }

            stored.Store(call.Id, final.WrittenSpan.ToArray());
        }

        await sse.FlushAsync();
    }

    private static async Task<bool> FaultAsync(ResponseState state, SseWriter sse, int emitted, int faultAfter)
    {
        if (emitted != faultAfter)
        {
            return false;
        }

        var call = state.Call;
        switch (call.Fault.Kind)
        {
            case SimFaultKind.Malformed:
                sse.WriteRaw("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\n\n"u8);
                return false;
            case SimFaultKind.Midstream:
                call.Record(completed: false);
                await sse.FlushAsync();
                await call.AbortConnectionAsync();
                return true;
            case SimFaultKind.Hang:
                call.Record(completed: false);
                await sse.FlushAsync();
                await call.HangAsync();
                return true;
            default:
                return false;
        }
    }

    private static Utf8JsonWriter Begin(SseWriter sse, ReadOnlySpan<byte> type, ref int sequence)
    {
        var json = sse.Begin(type);
        json.WriteStartObject();
        json.WriteString("type"u8, type);
        json.WriteNumber("sequence_number"u8, sequence++);
        return json;
    }

    private static void End(SseWriter sse, Utf8JsonWriter json)
    {
        json.WriteEndObject();
        sse.End();
    }

    private static void WritePartRef(Utf8JsonWriter json, ResponseState state)
    {
        json.WriteString("item_id"u8, state.ItemId);
        json.WriteNumber("output_index"u8, state.MessageIndex);
        json.WriteNumber("content_index"u8, 0);
    }

    private static void WriteTextPart(Utf8JsonWriter json, ReadOnlySpan<byte> text)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "output_text"u8);
        json.WriteStartArray("annotations"u8);
        json.WriteEndArray();
        json.WriteStartArray("logprobs"u8);
        json.WriteEndArray();
        json.WriteString("text"u8, text);
        json.WriteEndObject();
    }

    private static bool HasWebSearchTool(JsonElement root)
    {
        if (root.Prop("tools"u8) is not { ValueKind: JsonValueKind.Array } tools)
        {
            return false;
        }

        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind == JsonValueKind.Object && tool.Prop("type"u8) is { ValueKind: JsonValueKind.String } type
                && type.GetString()!.StartsWith("web_search", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static void WriteSearchItem(Utf8JsonWriter json, ResponseState state, ReadOnlySpan<byte> status)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, state.SearchId);
        json.WriteString("type"u8, "web_search_call"u8);
        json.WriteString("status"u8, status);
        json.WriteStartObject("action"u8);
        json.WriteString("type"u8, "search"u8);
        json.WriteString("query"u8, "simulated search"u8);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The search item's events, as the API sends them before the message: added, in progress, searching, completed, done.</summary>
    private static void WriteSearchEvents(SseWriter sse, ResponseState state, ref int sequence)
    {
        var json = Begin(sse, "response.output_item.added"u8, ref sequence);
        json.WriteNumber("output_index"u8, 0);
        json.WritePropertyName("item"u8);
        WriteSearchItem(json, state, "in_progress"u8);
        End(sse, json);
        foreach (var step in new[] { "response.web_search_call.in_progress", "response.web_search_call.searching", "response.web_search_call.completed" })
        {
            json = Begin(sse, System.Text.Encoding.UTF8.GetBytes(step), ref sequence);
            json.WriteNumber("output_index"u8, 0);
            json.WriteString("item_id"u8, state.SearchId);
            End(sse, json);
        }

        json = Begin(sse, "response.output_item.done"u8, ref sequence);
        json.WriteNumber("output_index"u8, 0);
        json.WritePropertyName("item"u8);
        WriteSearchItem(json, state, "completed"u8);
        End(sse, json);
    }

    private static void WriteMessageItem(Utf8JsonWriter json, ResponseState state, Phase phase)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, state.ItemId);
        json.WriteString("type"u8, "message"u8);
        json.WriteString("status"u8, phase == Phase.InProgress ? "in_progress"u8 : state.FinalStatus);
        json.WriteStartArray("content"u8);
        if (phase == Phase.Final)
        {
            WriteTextPart(json, state.Text.WrittenSpan);
        }

        json.WriteEndArray();
        json.WriteString("role"u8, "assistant"u8);
        json.WriteEndObject();
    }

    /// <summary>The Response object; usage only in the final phase (null before, and under the nousage fault).</summary>
    private static void WriteResponse(Utf8JsonWriter json, ResponseState state, Phase phase)
    {
        var call = state.Call;
        var request = state.Request;
        var final = phase == Phase.Final;
        json.WriteStartObject();
        json.WriteString("id"u8, call.Id);
        json.WriteString("object"u8, "response"u8);
        json.WriteNumber("created_at"u8, call.Created);
        json.WriteString("status"u8, final ? state.FinalStatus : "in_progress"u8);
        json.WriteBoolean("background"u8, request.TrueProp("background"u8));
        json.WriteNull("error"u8);
        if (final && state.Incomplete)
        {
            json.WriteStartObject("incomplete_details"u8);
            json.WriteString("reason"u8, "max_output_tokens"u8);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("incomplete_details"u8);
        }

        Echo(json, request, "instructions"u8, default);
        Echo(json, request, "max_output_tokens"u8, default);
        json.WriteString("model"u8, call.Model);
        json.WriteStartArray("output"u8);
        if (final)
        {
            if (state.SearchId is not null)
            {
                WriteSearchItem(json, state, "completed"u8);
            }

            WriteMessageItem(json, state, Phase.Final);
        }

        json.WriteEndArray();
        Echo(json, request, "parallel_tool_calls"u8, "true"u8);
        Echo(json, request, "previous_response_id"u8, default);
        json.WriteStartObject("reasoning"u8);
        if (request.Prop("reasoning"u8) is { ValueKind: JsonValueKind.Object } reasoning && reasoning.StringProp("effort"u8) is { } effort)
        {
            json.WriteString("effort"u8, effort);
        }
        else
        {
            json.WriteNull("effort"u8);
        }

        json.WriteNull("summary"u8);
        json.WriteEndObject();
        json.WriteString("service_tier"u8, state.TierName);
        Echo(json, request, "store"u8, "true"u8);
        Echo(json, request, "temperature"u8, "1.0"u8);
        json.WriteStartObject("text"u8);
        json.WriteStartObject("format"u8);
        json.WriteString("type"u8, "text"u8);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteString("tool_choice"u8, "auto"u8);
        json.WriteStartArray("tools"u8);
        json.WriteEndArray();
        Echo(json, request, "top_p"u8, "1.0"u8);
        json.WriteString("truncation"u8, "disabled"u8);
        if (final && call.Fault.Kind != SimFaultKind.NoUsage)
        {
            var plan = call.Plan;
            json.WriteStartObject("usage"u8);
            json.WriteNumber("input_tokens"u8, plan.InputTotal);
            json.WriteStartObject("input_tokens_details"u8);
            json.WriteNumber("cached_tokens"u8, plan.CacheRead);
            json.WriteEndObject();
            json.WriteNumber("output_tokens"u8, plan.Output);
            json.WriteStartObject("output_tokens_details"u8);
            json.WriteNumber("reasoning_tokens"u8, plan.Reasoning);
            json.WriteEndObject();
            json.WriteNumber("total_tokens"u8, plan.InputTotal + plan.Output);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("usage"u8);
        }

        Echo(json, request, "user"u8, default);
        Echo(json, request, "metadata"u8, "{}"u8);
        json.WriteEndObject();
    }

    /// <summary>Writes the request's value of a property, or the raw JSON default (null when none).</summary>
    private static void Echo(Utf8JsonWriter json, JsonElement request, ReadOnlySpan<byte> name, ReadOnlySpan<byte> defaultJson)
    {
        if (request.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            json.WritePropertyName(name);
            json.WriteRawValue(JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);
        }
        else if (defaultJson.IsEmpty)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WritePropertyName(name);
            json.WriteRawValue(defaultJson, skipInputValidation: true);
        }
    }
}
