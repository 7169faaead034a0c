using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Simulator.Infrastructure;
using TokenOps.Simulator.Generation;

namespace TokenOps.Simulator.Protocols.OpenAI;

/// <summary><c>POST /v1/chat/completions</c>, streamed (SSE <c>data:</c> chunks, <c>[DONE]</c>) and not.</summary>
internal sealed class ChatCompletionsEndpoint(SimHost host)
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

        if (root.Prop("messages"u8) is not { ValueKind: JsonValueKind.Array } messages || messages.GetArrayLength() == 0)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "Missing required parameter: 'messages'.", param: "messages", code: "missing_required_parameter");
            return;
        }

        var (ok, maxCompletion) = await OpenAIRequest.LimitAsync(context, root, "max_completion_tokens", 1);
        if (!ok)
        {
            return;
        }

        (ok, var maxTokens) = await OpenAIRequest.LimitAsync(context, root, "max_tokens", 1);
        if (!ok)
        {
            return;
        }

        var (tierOk, tierName, tier) = await OpenAIRequest.ServiceTierAsync(context, root);
        if (!tierOk)
        {
            return;
        }

        var stream = root.TrueProp("stream"u8);
        var streamOptions = root.Prop("stream_options"u8);
        if (!stream && streamOptions.IsPresent())
        {
            await ProtocolErrors.OpenAIAsync(context, 400,
                "Invalid value for 'stream_options': 'stream_options' is only allowed when 'stream' is enabled.",
                param: "stream_options", code: "invalid_value");
            return;
        }

        var includeUsage = stream && streamOptions is { ValueKind: JsonValueKind.Object } so && so.TrueProp("include_usage"u8);
        if (await OpenAIRequest.FaultAsync(context, host) is not { } fault)
        {
            return;
        }

        var plan = SimHost.WithOutputOverride(context, UsageRules.OpenAIChat(root, model, maxCompletion ?? maxTokens, host.PromptCache));
        var call = host.NewCall(context, SimProtocols.OpenAIChat, host.NewId("chatcmpl-"), model, plan, tier, fault, stream);
        var state = new ChatState(call, tierName, includeUsage);
        await call.RunAsync(stream ? _ => StreamAsync(state) : _ => CompleteAsync(state));
    }

    private sealed class ChatState(SimCall call, string tierName, bool includeUsage)
    {
        public SimCall Call { get; } = call;

        public string TierName { get; } = tierName;

        public bool IncludeUsage { get; } = includeUsage;

        public string FinishReason => Call.Plan.Truncated ? "length" : "stop";

        // Pre-encoded once: every chunk repeats them.
        public JsonEncodedText Id { get; } = JsonEncodedText.Encode(call.Id, JsonSettings.WriterOptions.Encoder);

        public JsonEncodedText Model { get; } = JsonEncodedText.Encode(call.Model, JsonSettings.WriterOptions.Encoder);

        public JsonEncodedText Tier { get; } = JsonEncodedText.Encode(tierName, JsonSettings.WriterOptions.Encoder);
    }

    private static async Task CompleteAsync(ChatState state)
    {
        var call = state.Call;
        await call.DelayAsync(call.DelayBeforeFirstByteMs);
        if (call.Fault.Kind == SimFaultKind.Hang)
        {
            await call.HangAsync();
            return;
        }

        using var text = new PooledBufferWriter(call.Plan.VisibleWords * TextGenerator.MaxWordBytes + 16);
        TextGenerator.WriteAll(call.Plan.Seed, call.Plan.VisibleWords, text);
        using var buffer = new PooledBufferWriter(text.WrittenCount + 1024);
        using (var json = new Utf8JsonWriter(buffer, JsonSettings.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("id"u8, call.Id);
            json.WriteString("object"u8, "chat.completion"u8);
            json.WriteNumber("created"u8, call.Created);
            json.WriteString("model"u8, call.Model);
            json.WriteStartArray("choices"u8);
            json.WriteStartObject();
            json.WriteNumber("index"u8, 0);
            json.WriteStartObject("message"u8);
            json.WriteString("role"u8, "assistant"u8);
            json.WriteString("content"u8, text.WrittenSpan);
            json.WriteNull("refusal"u8);
            json.WriteStartArray("annotations"u8);
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteNull("logprobs"u8);
            json.WriteString("finish_reason"u8, state.FinishReason);
            json.WriteEndObject();
            json.WriteEndArray();
            if (call.Fault.Kind != SimFaultKind.NoUsage)
            {
                json.WritePropertyName("usage"u8);
                WriteUsage(json, call.Plan);
            }

            json.WriteString("service_tier"u8, state.TierName);
            json.WriteString("system_fingerprint"u8, OpenAIRequest.SystemFingerprint);
            json.WriteEndObject();
        }

        await NonStreamed.WriteAsync(call, buffer);
    }

    private static async Task StreamAsync(ChatState state)
    {
        var call = state.Call;
        var plan = call.Plan;
        await call.DelayAsync(call.DelayBeforeFirstByteMs);
        using var sse = new SseWriter(call.Http);
        var words = plan.VisibleWords;
        var faultAfter = NonStreamed.FaultPoint(call.Fault.Kind, words);

        // First chunk: the role.
        var json = sse.Begin(default);
        WriteChunkStart(json, state);
        json.WriteStartObject("delta"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("content"u8, ""u8);
        json.WriteNull("refusal"u8);
        json.WriteEndObject();
        WriteChunkEnd(json, state, finishReason: null);
        sse.End();
        if (await FaultAsync(state, sse, 0, faultAfter))
        {
            return;
        }

        var generator = new TextGenerator(plan.Seed);
        var word = new byte[TextGenerator.MaxWordBytes];
        for (var i = 0; i < words; i++)
        {
            var n = generator.NextWord(word, i == words - 1);
            json = sse.Begin(default);
            WriteChunkStart(json, state);
            json.WriteStartObject("delta"u8);
            json.WriteString("content"u8, word.AsSpan(0, n));
            json.WriteEndObject();
            WriteChunkEnd(json, state, finishReason: null);
            sse.End();
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
        json = sse.Begin(default);
        WriteChunkStart(json, state);
        json.WriteStartObject("delta"u8);
        json.WriteEndObject();
        WriteChunkEnd(json, state, state.FinishReason);
        sse.End();

        if (state.IncludeUsage && call.Fault.Kind != SimFaultKind.NoUsage)
        {
            json = sse.Begin(default);
            WriteChunkHeader(json, state);
            json.WriteStartArray("choices"u8);
            json.WriteEndArray();
            json.WritePropertyName("usage"u8);
            WriteUsage(json, plan);
            json.WriteEndObject();
            sse.End();
        }

        sse.WriteRaw("data: [DONE]\n\n"u8);
        await sse.FlushAsync();
    }

    /// <summary>Applies a streaming fault once <paramref name="emitted"/> content chunks are out; true when the stream ends here.</summary>
    private static async Task<bool> FaultAsync(ChatState state, SseWriter sse, int emitted, int faultAfter)
    {
        if (emitted != faultAfter)
        {
            return false;
        }

        var call = state.Call;
        switch (call.Fault.Kind)
        {
            case SimFaultKind.Malformed:
                sse.WriteRaw("data: {\"id\":\""u8);
                sse.WriteRaw(System.Text.Encoding.UTF8.GetBytes(call.Id));
                sse.WriteRaw("\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\n\n"u8);
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

    private static void WriteChunkHeader(Utf8JsonWriter json, ChatState state)
    {
        var call = state.Call;
        json.WriteStartObject();
        json.WriteString("id"u8, state.Id);
        json.WriteString("object"u8, "chat.completion.chunk"u8);
        json.WriteNumber("created"u8, call.Created);
        json.WriteString("model"u8, state.Model);
        json.WriteString("service_tier"u8, state.Tier);
        json.WriteString("system_fingerprint"u8, "fp_sim0001"u8);
    }

    private static void WriteChunkStart(Utf8JsonWriter json, ChatState state)
    {
        WriteChunkHeader(json, state);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, 0);
    }

    private static void WriteChunkEnd(Utf8JsonWriter json, ChatState state, string? finishReason)
    {
        json.WriteNull("logprobs"u8);
        if (finishReason is null)
        {
            json.WriteNull("finish_reason"u8);
        }
        else
        {
            json.WriteString("finish_reason"u8, finishReason);
        }

        json.WriteEndObject();
        json.WriteEndArray();
        if (state.IncludeUsage)
        {
            json.WriteNull("usage"u8);
        }

        json.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter json, UsagePlan plan)
    {
        json.WriteStartObject();
        json.WriteNumber("prompt_tokens"u8, plan.InputTotal);
        json.WriteNumber("completion_tokens"u8, plan.Output);
        json.WriteNumber("total_tokens"u8, plan.InputTotal + plan.Output);
        json.WriteStartObject("prompt_tokens_details"u8);
        json.WriteNumber("cached_tokens"u8, plan.CacheRead);
        json.WriteNumber("audio_tokens"u8, plan.AudioInput);
        json.WriteEndObject();
        json.WriteStartObject("completion_tokens_details"u8);
        json.WriteNumber("reasoning_tokens"u8, plan.Reasoning);
        json.WriteNumber("audio_tokens"u8, plan.AudioOutput);
        json.WriteNumber("accepted_prediction_tokens"u8, 0);
        json.WriteNumber("rejected_prediction_tokens"u8, 0);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
