using System.Text.Json;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Routing;

/// <summary>
/// What a candidate must be able to take to serve a request, read from its body: tools, images (or files), a JSON schema,
/// reasoning. A router never picks a model the catalog does not say can take them.
/// </summary>
public static class RequestNeeds
{
    public static ModelCapabilities Read(JsonElement root)
    {
        var needs = ModelCapabilities.None;
        if (NonEmptyArray(root, "tools") || NonEmptyArray(root, "functions")) needs |= ModelCapabilities.Tools;
        if (Schema(root)) needs |= ModelCapabilities.JsonSchema;
        if (Reasoning(root)) needs |= ModelCapabilities.Reasoning;
        foreach (var field in (ReadOnlySpan<string>)["messages", "input", "system"])
            if (root.TryGetProperty(field, out var value) && HasMedia(value, 0)) needs |= ModelCapabilities.Images;
        return needs;
    }

    public static string Describe(ModelCapabilities needs) => needs switch
    {
        ModelCapabilities.None => "nothing special",
        _ => string.Join(", ", Enum.GetValues<ModelCapabilities>().Where(c => c != 0 && needs.HasFlag(c)).Select(Name)),
    };

    public static string Name(ModelCapabilities capability) => capability switch
    {
        ModelCapabilities.Tools => "tools",
        ModelCapabilities.Images => "images or files",
        ModelCapabilities.JsonSchema => "a JSON schema",
        ModelCapabilities.Reasoning => "reasoning",
        _ => capability.ToString(),
    };

    private static bool NonEmptyArray(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0;

    /// <summary>OpenAI chat <c>response_format</c>, Responses <c>text.format</c>, Anthropic <c>output_format</c>: a json_schema.</summary>
    private static bool Schema(JsonElement root)
    {
        static bool IsSchema(JsonElement format) =>
            format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("json_schema");
        if (root.TryGetProperty("response_format", out var chat) && IsSchema(chat)) return true;
        if (root.TryGetProperty("output_format", out var anthropic) && IsSchema(anthropic)) return true;
        return root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.Object && text.TryGetProperty("format", out var format) && IsSchema(format);
    }

    private static bool Reasoning(JsonElement root)
    {
        if (root.TryGetProperty("reasoning_effort", out var effort) && effort.ValueKind == JsonValueKind.String) return true;
        if (root.TryGetProperty("reasoning", out var reasoning) && reasoning.ValueKind == JsonValueKind.Object) return true;
        return root.TryGetProperty("thinking", out var thinking) && thinking.ValueKind == JsonValueKind.Object
            && thinking.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && !type.ValueEquals("disabled");
    }

    /// <summary>An image or file part anywhere in the messages (content parts, tool results), bounded in depth.</summary>
    private static bool HasMedia(JsonElement value, int depth)
    {
        if (depth > 8) return false;
        switch (value.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                    if (HasMedia(item, depth + 1)) return true;
                return false;
            case JsonValueKind.Object:
                if (value.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                    && (type.ValueEquals("image_url") || type.ValueEquals("input_image") || type.ValueEquals("image")
                        || type.ValueEquals("input_file") || type.ValueEquals("file") || type.ValueEquals("document")))
                    return true;
                return value.TryGetProperty("content", out var content) && HasMedia(content, depth + 1);
            default:
                return false;
        }
    }
}
