using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Simulator.Generation;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols.OpenAI;

/// <summary>
/// <c>POST /v1/images/generations</c>: <c>n</c> images (dall-e-3 takes only 1), each a URL or, with
/// <c>response_format: "b64_json"</c> and always for gpt-image models, a tiny base64 PNG. dall-e models are billed per
/// image; gpt-image models report and bill usage in tokens: the prompt's text tokens (ceil(bytes / 4)) and per image the
/// output tokens of OpenAI's table (1024x1024: low 272, medium 1056, high 4160; 1024x1536 or 1536x1024: 408, 1584, 6240;
/// quality "auto" is medium).
/// </summary>
internal sealed class ImagesEndpoint(SimHost host)
{
    // A 1x1 transparent PNG.
    private const string Png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

    public async Task HandleAsync(HttpContext context)
    {
        if (!await OpenAIRequest.AuthenticateAsync(context, host.Options))
        {
            return;
        }

        using var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        using var document = await OpenAIRequest.ParseAsync(context, body);
        if (document is null)
        {
            return;
        }

        var root = document.RootElement;
        var model = root.StringProp("model"u8) is { Length: > 0 } named ? named : "dall-e-2";
        if (root.Prop("prompt"u8) is not { ValueKind: JsonValueKind.String } prompt)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "Missing required parameter: 'prompt'.", param: "prompt", code: "missing_required_parameter");
            return;
        }

        var (ok, n) = await OpenAIRequest.LimitAsync(context, root, "n", 1);
        if (!ok)
        {
            return;
        }

        var images = (int)(n ?? 1);
        if (images > 10 || (model.StartsWith("dall-e-3", StringComparison.Ordinal) && images != 1))
        {
            await ProtocolErrors.OpenAIAsync(context, 400, $"Invalid 'n': {images}. This model supports n between 1 and {(model.StartsWith("dall-e-3", StringComparison.Ordinal) ? 1 : 10)}.", param: "n", code: "invalid_value");
            return;
        }

        var size = root.StringProp("size"u8) ?? "1024x1024";
        var quality = root.StringProp("quality"u8) ?? "auto";
        var tokenPriced = model.StartsWith("gpt-image", StringComparison.Ordinal);
        var b64 = tokenPriced || root.StringProp("response_format"u8) == "b64_json";
        var promptTokens = (System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(prompt).Length + 3) / 4;
        var perImage = tokenPriced ? ImageTokens(size, quality) : 0;
        var plan = tokenPriced
            ? new UsagePlan(promptTokens, 0, 0, 0, perImage * images, 0, false, 0, Images: images, ImageOutput: perImage * images)
            : new UsagePlan(0, 0, 0, 0, 0, 0, false, 0, Images: images);
        if (await OpenAIRequest.FaultAsync(context, host) is not { } fault)
        {
            return;
        }

        var call = host.NewCall(context, SimProtocols.OpenAIImages, host.NewId("img_"), model, plan, Core.Metering.ServiceTier.Standard, fault, false);
        context.Response.Headers["x-request-id"] = call.Id;
        await call.RunAsync(async _ =>
        {
            await call.DelayAsync(call.DelayBeforeFirstByteMs);
            using var buffer = new PooledBufferWriter(1024 + images * 256);
            using (var json = new Utf8JsonWriter(buffer, JsonSettings.WriterOptions))
            {
                json.WriteStartObject();
                json.WriteNumber("created"u8, call.Created);
                json.WriteStartArray("data"u8);
                for (var i = 0; i < images; i++)
                {
                    json.WriteStartObject();
                    if (b64) json.WriteString("b64_json"u8, Png);
                    else json.WriteString("url"u8, $"https://images.sim.invalid/{call.Id}/{i}.png");
                    if (model.StartsWith("dall-e-3", StringComparison.Ordinal)) json.WriteString("revised_prompt"u8, prompt.GetString());
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                if (tokenPriced)
                {
                    json.WriteString("background"u8, "opaque"u8);
                    json.WriteString("output_format"u8, "png"u8);
                    json.WriteString("quality"u8, quality == "auto" ? "medium" : quality);
                    json.WriteString("size"u8, size);
                    json.WriteStartObject("usage"u8);
                    json.WriteNumber("input_tokens"u8, plan.InputTotal);
                    json.WriteNumber("output_tokens"u8, plan.Output);
                    json.WriteNumber("total_tokens"u8, plan.InputTotal + plan.Output);
                    json.WriteStartObject("input_tokens_details"u8);
                    json.WriteNumber("text_tokens"u8, plan.InputTotal);
                    json.WriteNumber("image_tokens"u8, 0);
                    json.WriteEndObject();
                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            await NonStreamed.WriteAsync(call, buffer);
        });
    }

    private static long ImageTokens(string size, string quality)
    {
        var tall = size is "1024x1536" or "1536x1024";
        return quality switch
        {
            "low" => tall ? 408 : 272,
            "high" => tall ? 6240 : 4160,
            _ => tall ? 1584 : 1056,
        };
    }
}
