using System.Text.Json;

namespace TokenOps.Gateway.Protocols;

/// <summary>
/// Whether a request makes the provider bill input that its body does not hold as text: images, audio, files and PDFs
/// (their tokens depend on pixels and pages, not on bytes: a 100-byte URL can cost thousands of tokens), stored
/// conversations and prompts the provider expands, and built-in tools whose results are fed back as input. Such a
/// request's input is bounded only by the model's context window, which is what its reservation then assumes.
/// </summary>
internal static class UnseenInput
{
    private static readonly string[] OpenAIParts = ["image_url", "input_audio", "file", "input_image", "input_file", "item_reference"];
    private static readonly string[] AnthropicParts = ["image", "document", "container_upload"];
    private static readonly string[] AnthropicServerTools = ["web_search", "web_fetch", "code_execution", "tool_search", "mcp"];

    public static bool InChat(JsonElement root) =>
        Has(root, "web_search_options") || AnyPart(root, "messages", OpenAIParts);

    public static bool InResponses(JsonElement root) =>
        Has(root, "previous_response_id") || Has(root, "conversation") || Has(root, "prompt")
        || AnyPart(root, "input", OpenAIParts) || RequestTools.Typed(root).Any(static t => t.Type is not ("function" or "custom"));

    public static bool InMessages(JsonElement root) =>
        Has(root, "mcp_servers") || Has(root, "container") || AnyPart(root, "messages", AnthropicParts)
        || RequestTools.Typed(root).Any(static t => RequestTools.StartsWithAny(t.Type, AnthropicServerTools));

    private static bool Has(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined);

    /// <summary>
    /// Any object under the list (a message, an input item, a content part, a part nested in a tool result) whose type is
    /// one of <paramref name="types"/>. String values are not entered, so the walk is over the body's structure only.
    /// </summary>
    private static bool AnyPart(JsonElement root, string listName, string[] types) =>
        root.TryGetProperty(listName, out var list) && list.ValueKind == JsonValueKind.Array && Contains(list, types, depth: 0);

    private static bool Contains(JsonElement e, string[] types, int depth)
    {
        if (depth > 64) return true; // deeper than any real message: assume the worst rather than recurse on
        switch (e.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                    if (Contains(item, types, depth + 1)) return true;
                return false;
            case JsonValueKind.Object:
                if (TypeIs(e, types)) return true;
                foreach (var p in e.EnumerateObject())
                    if (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array && Contains(p.Value, types, depth + 1)) return true;
                return false;
            default:
                return false;
        }
    }

    private static bool TypeIs(JsonElement item, string[] types)
    {
        if (!item.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String) return false;
        foreach (var t in types)
            if (type.ValueEquals(t)) return true;
        return false;
    }
}
