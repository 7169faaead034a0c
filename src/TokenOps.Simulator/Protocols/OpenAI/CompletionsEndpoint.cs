using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Simulator.Generation;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols.OpenAI;

/// <summary>
/// <c>POST /v1/completions</c>, the legacy text completions API, streamed and not: <c>prompt</c> (a string, strings, token
/// ids or arrays of token ids), <c>suffix</c>, <c>n</c>, <c>best_of</c> (generated and billed, n returned per prompt),
/// <c>max_tokens</c> (16 when absent). Choices are indexed prompt by prompt. A stream sends <c>text_completion</c> chunks,
/// then, with <c>stream_options.include_usage</c>, a chunk with no choices and the usage, then <c>[DONE]</c>.
/// </summary>
internal sealed class CompletionsEndpoint(SimHost host)
{
    private const long DefaultMaxTokens = 16;

    public async Task HandleAsync(HttpContext context)
    {
        context.Response.Headers["x-request-id"] = host.NewId("req_");
        using var input = await OpenAIRequest.ReadAsync(context, host.Options);
        if (input is null)
        {
            return;
        }

        var (root, model) = (input.Root, input.Model);
        var prompts = root.Prop("prompt"u8) switch
        {
            { ValueKind: JsonValueKind.String } => 1,
            { ValueKind: JsonValueKind.Array } a when a.GetArrayLength() > 0 && a[0].ValueKind == JsonValueKind.Number => 1,
            { ValueKind: JsonValueKind.Array } a => a.GetArrayLength(),
            _ => 0,
        };
        if (prompts == 0)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "Missing required parameter: 'prompt'.", param: "prompt", code: "missing_required_parameter");
            return;
        }

        var (ok, maxTokens) = await OpenAIRequest.LimitAsync(context, root, "max_tokens", 1);
        if (!ok)
        {
            return;
        }

        (ok, var n) = await OpenAIRequest.LimitAsync(context, root, "n", 1);
        if (!ok)
        {
            return;
        }

        (ok, var bestOf) = await OpenAIRequest.LimitAsync(context, root, "best_of", 1);
        if (!ok)
        {
            return;
        }

        var returned = (int)(n ?? 1);
        if (bestOf is { } b && b < returned)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "best_of must be greater than or equal to n.", param: "best_of", code: "invalid_value");
            return;
        }

        var stream = root.TrueProp("stream"u8);
        if (stream && bestOf is > 1)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "Cannot stream results with best_of greater than 1.", param: "best_of", code: "invalid_value");
            return;
        }

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

        var generated = prompts * (int)Math.Max(returned, bestOf ?? 1);
        var plan = UsageRules.OpenAICompletions(root, model, maxTokens ?? DefaultMaxTokens, generated);
        var perChoice = (int)(plan.Output / generated);
        var call = host.NewCall(context, SimProtocols.OpenAICompletions, host.NewId("cmpl-"), model, plan, Core.Metering.ServiceTier.Standard, fault, stream);
        var state = new State(call, prompts * returned, perChoice, includeUsage);
        await call.RunAsync(stream ? _ => StreamAsync(state) : _ => CompleteAsync(state));
    }

    private sealed record State(SimCall Call, int Choices, int Words, bool IncludeUsage)
    {
        public string FinishReason => Call.Plan.Truncated ? "length" : "stop";
    }

    private static async Task CompleteAsync(State state)
    {
        var call = state.Call;
        await call.DelayAsync(call.DelayBeforeFirstByteMs);
        if (call.Fault.Kind == SimFaultKind.Hang)
        {
            await call.HangAsync();
            return;
        }

        using var text = new PooledBufferWriter(state.Words * TextGenerator.MaxWordBytes + 16);
        TextGenerator.WriteAll(call.Plan.Seed, state.Words, text);
        using var buffer = new PooledBufferWriter(state.Choices * (text.WrittenCount + 128) + 512);
        using (var json = new Utf8JsonWriter(buffer, JsonSettings.WriterOptions))
        {
            WriteHeader(json, call);
            json.WriteStartArray("choices"u8);
            for (var i = 0; i < state.Choices; i++)
            {
                json.WriteStartObject();
                json.WriteString("text"u8, text.WrittenSpan);
                json.WriteNumber("index"u8, i);
                json.WriteNull("logprobs"u8);
                json.WriteString("finish_reason"u8, state.FinishReason);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (call.Fault.Kind != SimFaultKind.NoUsage)
            {
                json.WritePropertyName("usage"u8);
                WriteUsage(json, call.Plan);
            }

            json.WriteEndObject();
        }

        await NonStreamed.WriteAsync(call, buffer);
    }

    private static async Task StreamAsync(State state)
    {
        var call = state.Call;
        await call.DelayAsync(call.DelayBeforeFirstByteMs);
        using var sse = new SseWriter(call.Http);
        var faultAfter = NonStreamed.FaultPoint(call.Fault.Kind, state.Words);
        var word = new byte[TextGenerator.MaxWordBytes];
        for (var choice = 0; choice < state.Choices; choice++)
        {
            var generator = new TextGenerator(call.Plan.Seed);
            for (var i = 0; i < state.Words; i++)
            {
                var n = generator.NextWord(word, i == state.Words - 1);
                WriteChunk(sse, call, choice, word.AsSpan(0, n), finishReason: null);
                if (choice == 0 && i == 0)
                {
                    await sse.FlushAsync();
                }

                if (choice == 0 && i + 1 == faultAfter && await FaultAsync(call, sse))
                {
                    return;
                }

                await sse.PaceAsync(call.ChunkDelayMs);
            }

            WriteChunk(sse, call, choice, default, state.FinishReason);
        }

        call.Record(completed: true);
        if (state.IncludeUsage && call.Fault.Kind != SimFaultKind.NoUsage)
        {
            var json = sse.Begin(default);
            WriteHeader(json, call);
            json.WriteStartArray("choices"u8);
            json.WriteEndArray();
            json.WritePropertyName("usage"u8);
            WriteUsage(json, call.Plan);
            json.WriteEndObject();
            sse.End();
        }

        sse.WriteRaw("data: [DONE]\n\n"u8);
        await sse.FlushAsync();
    }

    private static async Task<bool> FaultAsync(SimCall call, SseWriter sse)
    {
        switch (call.Fault.Kind)
        {
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
            case SimFaultKind.Malformed:
                sse.WriteRaw("data: {\"id\":\"cmpl\",\"object\":\"text_completion\",\"choices\":[{\"text\":\n\n"u8);
                return false;
            default:
                return false;
        }
    }

    private static void WriteChunk(SseWriter sse, SimCall call, int index, ReadOnlySpan<byte> text, string? finishReason)
    {
        var json = sse.Begin(default);
        WriteHeader(json, call);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteString("text"u8, text);
        json.WriteNumber("index"u8, index);
        json.WriteNull("logprobs"u8);
        if (finishReason is null) json.WriteNull("finish_reason"u8);
        else json.WriteString("finish_reason"u8, finishReason);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        sse.End();
    }

    private static void WriteHeader(Utf8JsonWriter json, SimCall call)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, call.Id);
        json.WriteString("object"u8, "text_completion"u8);
        json.WriteNumber("created"u8, call.Created);
        json.WriteString("model"u8, call.Model);
        json.WriteString("system_fingerprint"u8, OpenAIRequest.SystemFingerprint);
    }

    private static void WriteUsage(Utf8JsonWriter json, UsagePlan plan)
    {
        json.WriteStartObject();
        json.WriteNumber("prompt_tokens"u8, plan.InputTotal);
        json.WriteNumber("completion_tokens"u8, plan.Output);
        json.WriteNumber("total_tokens"u8, plan.InputTotal + plan.Output);
        json.WriteEndObject();
    }
}
