using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Core.Metering;
using TokenOps.Simulator.Infrastructure;
using TokenOps.Simulator.Generation;

namespace TokenOps.Simulator.Protocols.Anthropic;

/// <summary>
/// <c>POST /v1/messages</c>: one text block. Streamed as <c>message_start</c>, <c>content_block_start</c>,
/// <c>ping</c>, <c>content_block_delta</c>… , <c>content_block_stop</c>, <c>message_delta</c> (cumulative usage),
/// <c>message_stop</c>.
/// </summary>
internal sealed class MessagesEndpoint(SimHost host)
{
    public async Task HandleAsync(HttpContext context)
    {
        using var input = await AnthropicRequest.ReadAsync(context, host);
        if (input is null)
        {
            return;
        }

        var (root, model) = (input.Root, input.Model);

        if (root.Prop("max_tokens"u8) is not { ValueKind: JsonValueKind.Number } maxTokensValue)
        {
            await ProtocolErrors.AnthropicAsync(context, 400, "max_tokens: Field required");
            return;
        }

        if (!maxTokensValue.TryGetInt64(out var maxTokens) || maxTokens < 1)
        {
            await ProtocolErrors.AnthropicAsync(context, 400, "max_tokens: Input should be greater than or equal to 1");
            return;
        }

        if (!await AnthropicRequest.HasMessagesAsync(context, root))
        {
            return;
        }

        if (AnthropicCacheControl.Problem(root) is { } cacheProblem)
        {
            await ProtocolErrors.AnthropicAsync(context, 400, cacheProblem);
            return;
        }

        if (!await AnthropicRequest.ThinkingFitsAsync(context, root, maxTokens))
        {
            return;
        }

        if (!host.TryResolveFault(context, out var fault))
        {
            await ProtocolErrors.AnthropicAsync(context, 400,
                $"Unknown {SimHeaders.Fault} value '{context.Request.Headers[SimHeaders.Fault]}'. {SimHeaders.FaultHelp}");
            return;
        }

        if (fault.Kind == SimFaultKind.Error)
        {
            await ProtocolErrors.AnthropicAsync(context, fault.Status, ProtocolErrors.AnthropicFaultMessage(fault.Status));
            return;
        }

        if (fault.Kind == SimFaultKind.Leak)
        {
            LeakFault.AddIdentityHeaders(context);
            if (fault.Status > 0)
            {
                await ProtocolErrors.AnthropicAsync(context, fault.Status, LeakFault.Message(context));
                return;
            }
        }

        var stream = root.TrueProp("stream"u8);
        // Server tools: the simulated model uses each web search / web fetch tool once (never past its max_uses), billed per use.
        var plan = SimHost.WithOutputOverride(context, UsageRules.AnthropicMessages(root, model, maxTokens, host.PromptCache) with
        {
            WebSearches = ServerToolUses(root, "web_search"),
            WebFetches = ServerToolUses(root, "web_fetch"),
        });
        var call = host.NewCall(context, SimProtocols.AnthropicMessages, host.NewId("msg_"), model, plan, ServiceTier.Standard, fault, stream);
        await call.RunAsync(stream ? StreamAsync : CompleteAsync);
    }

    private static async Task CompleteAsync(SimCall call)
    {
        await call.DelayAsync(call.DelayBeforeFirstByteMs);
        if (call.Fault.Kind == SimFaultKind.Hang)
        {
            await call.HangAsync();
            return;
        }

        var plan = call.Plan;
        using var text = new PooledBufferWriter(plan.VisibleWords * TextGenerator.MaxWordBytes + 16);
        TextGenerator.WriteAll(plan.Seed, plan.VisibleWords, text);
        using var buffer = new PooledBufferWriter(text.WrittenCount + 1024);
        using (var json = new Utf8JsonWriter(buffer, JsonSettings.WriterOptions))
        {
            WriteMessageStart(json, call);
            json.WriteStartArray("content"u8);
            json.WriteStartObject();
            json.WriteString("type"u8, "text"u8);
            json.WriteString("text"u8, text.WrittenSpan);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteString("stop_reason"u8, StopReason(call));
            json.WriteNull("stop_sequence"u8);
            if (call.Fault.Kind != SimFaultKind.NoUsage)
            {
                WriteUsage(json, plan, plan.Output);
            }

            json.WriteEndObject();
        }

        await NonStreamed.WriteAsync(call, buffer);
    }

    private static async Task StreamAsync(SimCall call)
    {
        var plan = call.Plan;
        await call.DelayAsync(call.DelayBeforeFirstByteMs);
        using var sse = new SseWriter(call.Http);
        var noUsage = call.Fault.Kind == SimFaultKind.NoUsage;

        var json = sse.Begin("message_start"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "message_start"u8);
        json.WritePropertyName("message"u8);
        WriteMessageStart(json, call);
        json.WriteStartArray("content"u8);
        json.WriteEndArray();
        json.WriteNull("stop_reason"u8);
        json.WriteNull("stop_sequence"u8);
        if (!noUsage)
        {
            WriteUsage(json, plan, output: 1);
        }

        json.WriteEndObject();
        json.WriteEndObject();
        sse.End();

        json = sse.Begin("content_block_start"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "content_block_start"u8);
        json.WriteNumber("index"u8, 0);
        json.WriteStartObject("content_block"u8);
        json.WriteString("type"u8, "text"u8);
        json.WriteString("text"u8, ""u8);
        json.WriteEndObject();
        json.WriteEndObject();
        sse.End();

        json = sse.Begin("ping"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "ping"u8);
        json.WriteEndObject();
        sse.End();

        var words = plan.VisibleWords;
        var faultAfter = NonStreamed.FaultPoint(call.Fault.Kind, words);
        if (await FaultAsync(call, sse, 0, faultAfter))
        {
            return;
        }

        var generator = new TextGenerator(plan.Seed);
        var word = new byte[TextGenerator.MaxWordBytes];
        for (var i = 0; i < words; i++)
        {
            var n = generator.NextWord(word, i == words - 1);
            json = sse.Begin("content_block_delta"u8);
            json.WriteStartObject();
            json.WriteString("type"u8, "content_block_delta"u8);
            json.WriteNumber("index"u8, 0);
            json.WriteStartObject("delta"u8);
            json.WriteString("type"u8, "text_delta"u8);
            json.WriteString("text"u8, word.AsSpan(0, n));
            json.WriteEndObject();
            json.WriteEndObject();
            sse.End();
            if (i == 0)
            {
                await sse.FlushAsync();
            }

            if (await FaultAsync(call, sse, i + 1, faultAfter))
            {
                return;
            }

            if (i < words - 1)
            {
                await sse.PaceAsync(call.ChunkDelayMs);
            }
        }

        call.Record(completed: true);

        json = sse.Begin("content_block_stop"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "content_block_stop"u8);
        json.WriteNumber("index"u8, 0);
        json.WriteEndObject();
        sse.End();

        json = sse.Begin("message_delta"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "message_delta"u8);
        json.WriteStartObject("delta"u8);
        json.WriteString("stop_reason"u8, StopReason(call));
        json.WriteNull("stop_sequence"u8);
        json.WriteEndObject();
        if (!noUsage)
        {
            json.WriteStartObject("usage"u8);
            json.WriteNumber("input_tokens"u8, plan.UncachedInput);
            json.WriteNumber("cache_creation_input_tokens"u8, plan.CacheWrite5m + plan.CacheWrite1h);
            json.WriteNumber("cache_read_input_tokens"u8, plan.CacheRead);
            json.WriteNumber("output_tokens"u8, plan.Output);
            WriteServerToolUse(json, plan);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        sse.End();

        json = sse.Begin("message_stop"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "message_stop"u8);
        json.WriteEndObject();
        sse.End();
        await sse.FlushAsync();
    }

    private static async Task<bool> FaultAsync(SimCall call, SseWriter sse, int emitted, int faultAfter)
    {
        if (emitted != faultAfter)
        {
            return false;
        }

        switch (call.Fault.Kind)
        {
            case SimFaultKind.Malformed:
                sse.WriteRaw("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\n\n"u8);
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

    private static long ServerToolUses(JsonElement root, string prefix)
    {
        if (root.Prop("tools"u8) is not { ValueKind: JsonValueKind.Array } tools)
        {
            return 0;
        }

        long uses = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind == JsonValueKind.Object && tool.Prop("type"u8) is { ValueKind: JsonValueKind.String } type
                && type.GetString()!.StartsWith(prefix, StringComparison.Ordinal)
                && !(tool.Prop("max_uses"u8) is { ValueKind: JsonValueKind.Number } max && max.TryGetInt64(out var m) && m < 1))
            {
                uses++;
            }
        }

        return uses;
    }

    private static void WriteServerToolUse(Utf8JsonWriter json, UsagePlan plan)
    {
        if (plan.WebSearches == 0 && plan.WebFetches == 0)
        {
            return;
        }

        json.WriteStartObject("server_tool_use"u8);
        json.WriteNumber("web_search_requests"u8, plan.WebSearches);
        json.WriteNumber("web_fetch_requests"u8, plan.WebFetches);
        json.WriteEndObject();
    }

    private static string StopReason(SimCall call) => call.Plan.Truncated ? "max_tokens" : "end_turn";

    /// <summary>Opens the Message object and writes id, type, role, model (the caller writes the rest and closes it).</summary>
    private static void WriteMessageStart(Utf8JsonWriter json, SimCall call)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, call.Id);
        json.WriteString("type"u8, "message"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("model"u8, call.Model);
    }

    private static void WriteUsage(Utf8JsonWriter json, UsagePlan plan, long output)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("input_tokens"u8, plan.UncachedInput);
        json.WriteNumber("cache_creation_input_tokens"u8, plan.CacheWrite5m + plan.CacheWrite1h);
        json.WriteNumber("cache_read_input_tokens"u8, plan.CacheRead);
        json.WriteStartObject("cache_creation"u8);
        json.WriteNumber("ephemeral_5m_input_tokens"u8, plan.CacheWrite5m);
        json.WriteNumber("ephemeral_1h_input_tokens"u8, plan.CacheWrite1h);
        json.WriteEndObject();
        json.WriteNumber("output_tokens"u8, output);
        if (output == plan.Output)
        {
            WriteServerToolUse(json, plan);
        }

        json.WriteString("service_tier"u8, "standard"u8);
        json.WriteEndObject();
    }
}
