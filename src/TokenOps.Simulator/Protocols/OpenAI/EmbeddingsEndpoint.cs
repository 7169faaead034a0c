using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Core.Metering;
using TokenOps.Simulator.Infrastructure;
using TokenOps.Simulator.Generation;

namespace TokenOps.Simulator.Protocols.OpenAI;

/// <summary>
/// <c>POST /v1/embeddings</c>. Input: a string, an array of strings, a token-id array or an array of those.
/// Vectors are unit length, <c>dimensions</c> long (default <see cref="SimulatorOptions.EmbeddingDimensions"/>),
/// seeded by each input's hash; <c>encoding_format: "base64"</c> (what the .NET SDK asks for) returns the base64 of
/// the little-endian float32 values. The response has no id: the bill id is the <c>x-request-id</c> header (emb_…).
/// </summary>
internal sealed class EmbeddingsEndpoint(SimHost host)
{
    public async Task HandleAsync(HttpContext context)
    {
        var id = host.NewId("emb_");
        context.Response.Headers["x-request-id"] = id;
        using var request = await OpenAIRequest.ReadAsync(context, host.Options);
        if (request is null)
        {
            return;
        }

        var (root, model) = (request.Root, request.Model);

        var input = root.Prop("input"u8);
        if (input is not { ValueKind: JsonValueKind.String or JsonValueKind.Array } inputValue
            || (inputValue.ValueKind == JsonValueKind.Array && inputValue.GetArrayLength() == 0))
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "'input' is a required property and must be a non-empty string or array.", param: "input");
            return;
        }

        var (ok, dimensions) = await OpenAIRequest.LimitAsync(context, root, "dimensions", 1);
        if (!ok)
        {
            return;
        }

        var base64 = root.StringProp("encoding_format"u8) == "base64";
        if (await OpenAIRequest.FaultAsync(context, host) is not { } fault)
        {
            return;
        }

        // Items: a string, an array of token ids, or an array whose elements are strings / token-id arrays.
        var items = new List<JsonElement>();
        if (inputValue.ValueKind == JsonValueKind.String
            || inputValue.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number))
        {
            items.Add(inputValue);
        }
        else
        {
            items.AddRange(inputValue.EnumerateArray());
        }

        var dims = (int)Math.Min(dimensions ?? host.Options.EmbeddingDimensions, 4096);
        var seeds = new ulong[items.Count];
        long tokens = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var meter = new TextMeter();
            tokens += UsageRules.EmbeddingInputTokens(items[i], meter);
            seeds[i] = meter.Mixed;
        }

        var plan = new UsagePlan(tokens, 0, 0, 0, 0, 0, false, 0);
        var call = host.NewCall(context, SimProtocols.OpenAIEmbeddings, id, model, plan, ServiceTier.Standard, fault, stream: false);
        await call.RunAsync(c => WriteAsync(c, seeds, dims, base64));
    }

    private static async Task WriteAsync(SimCall call, ulong[] seeds, int dims, bool base64)
    {
        await call.DelayAsync(call.DelayBeforeFirstByteMs);
        if (call.Fault.Kind == SimFaultKind.Hang)
        {
            await call.HangAsync();
            return;
        }

        var vector = new float[dims];
        var bytes = new byte[dims * 4];
        using var buffer = new PooledBufferWriter(256 + seeds.Length * dims * 16);
        using (var json = new Utf8JsonWriter(buffer, JsonSettings.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("object"u8, "list"u8);
            json.WriteStartArray("data"u8);
            for (var i = 0; i < seeds.Length; i++)
            {
                Fill(vector, seeds[i]);
                json.WriteStartObject();
                json.WriteString("object"u8, "embedding"u8);
                json.WriteNumber("index"u8, i);
                if (base64)
                {
                    for (var d = 0; d < dims; d++)
                    {
                        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(d * 4), vector[d]);
                    }

                    json.WriteBase64String("embedding"u8, bytes);
                }
                else
                {
                    json.WriteStartArray("embedding"u8);
                    foreach (var value in vector)
                    {
                        json.WriteNumberValue(value);
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("model"u8, call.Model);
            if (call.Fault.Kind != SimFaultKind.NoUsage)
            {
                json.WriteStartObject("usage"u8);
                json.WriteNumber("prompt_tokens"u8, call.Plan.InputTotal);
                json.WriteNumber("total_tokens"u8, call.Plan.InputTotal);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        await NonStreamed.WriteAsync(call, buffer);
    }

    /// <summary>A deterministic unit vector from an xorshift sequence.</summary>
    private static void Fill(float[] vector, ulong seed)
    {
        var state = seed | 1;
        double norm = 0;
        for (var i = 0; i < vector.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            var value = (float)((state >> 11) * (1.0 / (1UL << 53)) * 2.0 - 1.0);
            vector[i] = value;
            norm += value * value;
        }

        var scale = norm > 0 ? (float)(1.0 / Math.Sqrt(norm)) : 1f;
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] *= scale;
        }
    }
}
