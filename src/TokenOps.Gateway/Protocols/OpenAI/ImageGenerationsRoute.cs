using System.Text;
using System.Text.Json;
using TokenOps.Core.Metering;
using TokenOps.Gateway.Metering;

namespace TokenOps.Gateway.Protocols.OpenAI;

/// <summary>
/// POST /v1/images/generations. Priced per image from the catalog variant the request's size and quality select
/// (<c>hd/1024-x-1024/dall-e-3</c>; LiteLLM prices those per pixel, read as a price per image), else the model's own
/// per-image price, or in image tokens from the answer's usage (gpt-image-1). <c>n</c> images are reserved. Streaming
/// (partial images) is refused until it is metered.
/// </summary>
public sealed class ImageGenerationsRoute : ProtocolRoute
{
    /// <summary>The API's default model when the body names none.</summary>
    public const string DefaultModel = "dall-e-2";

    public override string Name => "openai.images";
    public override string Path => "/v1/images/generations";
    public override Dialect Dialect => Dialect.OpenAI;

    public override RequestFacts Read(JsonElement root)
    {
        var model = root.TryGetProperty("model", out var m) && m.ValueKind != JsonValueKind.Null ? JsonFields.RequiredModel(root) : DefaultModel;
        if (!root.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String || prompt.GetString() is not { Length: > 0 })
            throw GatewayException.BadRequest("missing_field", "The request body needs 'prompt' as a non-empty string.", "prompt");
        if (JsonFields.OptionalBool(root, "stream"))
            throw GatewayException.BadRequest("unsupported_value", "Streamed image generation (partial images) is not supported through TokenOps yet; send it without 'stream'.", "stream");
        var n = JsonFields.OptionalPositiveInt(root, "n") ?? 1;
        if (n > 10) throw GatewayException.BadRequest("invalid_value", "'n' must be at most 10.", "n");
        var size = Text(root, "size") ?? "1024x1024";
        var quality = Text(root, "quality");
        // LiteLLM's variant keys: "<quality>/<width>-x-<height>/<model>" or "<width>-x-<height>/<model>".
        var sized = size.Replace("x", "-x-", StringComparison.Ordinal);
        var variant = quality is null or "auto" ? sized : quality + "/" + sized;
        return new RequestFacts(model, false, null, true, Choices: (int)n, PriceVariant: variant);
    }

    private static string? Text(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String)
            throw GatewayException.BadRequest("invalid_type", $"'{name}' must be a string, not {JsonFields.Kind(v)}.", name);
        return JsonText.SafeString(v);
    }

    public override UsageMeter CreateMeter(RequestFacts facts) => new ImagesMeter();

    public override bool IsPromptField(string name) => name is "prompt";

    public override void CollectPromptText(JsonElement root, StringBuilder text)
    {
        if (root.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String) text.Append(JsonText.SafeString(prompt));
    }
}

/// <summary>
/// An images answer: <c>data</c> holds one entry per image generated (billed per image); gpt-image models add a usage
/// object in input/output tokens with image tokens in its details. An answer without images bills nothing.
/// </summary>
internal sealed class ImagesMeter : UsageMeter
{
    public ImagesMeter() => Usage = TokenUsage.Zero;

    public override void OnJson(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return;
        var images = root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array ? data.GetArrayLength() : 0;
        var usage = root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object ? OpenAIUsage.FromImages(u) : TokenUsage.Zero;
        Usage = usage with { Images = images };
    }

    public override bool OnEvent(ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> data) => true;
}
