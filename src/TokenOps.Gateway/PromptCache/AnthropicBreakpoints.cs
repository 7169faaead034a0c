using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.PromptCache;

/// <summary>
/// Cache breakpoints for an Anthropic messages body that has none: on the last tool, the last system block and the last
/// block of the earlier turns (everything before the newest message), each only once the prefix through it (tools, then
/// system, then messages, counted with the gateway's tokenizer) reaches the model's minimum cacheable length. A body
/// that carries cache_control anywhere is the client's own plan and is left alone. At most three breakpoints are added,
/// within Anthropic's four. A system or message given as a string becomes one text block, so it can carry the marker.
/// </summary>
public static class AnthropicBreakpoints
{
    /// <summary>Anthropic refuses a request with more breakpoints than this.</summary>
    public const int MaxBreakpoints = 4;

    /// <summary>The minimum when the catalog does not give the model's (Sonnet and most Opus models).</summary>
    public const long DefaultMinimumTokens = 1024;

    /// <summary>The body with breakpoints added and how many, or null when none is added.</summary>
    public static (byte[] Body, int Added)? Add(byte[] body, JsonElement root, string model, long minimumTokens, string ttl, TokenCounter tokens)
    {
        if (HasCacheControl(body)) return null;
        var marker = ttl == "1h" ? "\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}" : "\"cache_control\":{\"type\":\"ephemeral\"}";
        var edits = new List<JsonEdit>(3);
        var prefix = new PrefixLength(model, minimumTokens, tokens);

        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0
            && prefix.Reaches(tools.GetRawText()) && tools[tools.GetArrayLength() - 1].ValueKind == JsonValueKind.Object)
        {
            AddToObject(body, edits, marker, "tools", tools.GetArrayLength() - 1);
        }

        if (root.TryGetProperty("system", out var system) && prefix.Reaches(system))
            AddToContent(body, edits, marker, system, "system");

        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array && messages.GetArrayLength() >= 2)
        {
            var earlier = messages.GetArrayLength() - 2;
            if ((prefix.Reached || prefix.Reaches(EarlierText(messages, earlier)))
                && messages[earlier].ValueKind == JsonValueKind.Object && messages[earlier].TryGetProperty("content", out var content))
                AddToContent(body, edits, marker, content, "messages", earlier, "content");
        }

        return edits.Count == 0 ? null : (JsonBodyPatcher.Apply(body, edits), edits.Count);
    }

    /// <summary>A cache_control property at any depth, in any escaping.</summary>
    public static bool HasCacheControl(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("cache_control"u8)) return true;
        }
        return false;
    }

    /// <summary>
    /// System or message content: a string becomes one marked text block; in an array the last block that can carry a
    /// marker gets it (not thinking blocks, not empty text).
    /// </summary>
    private static void AddToContent(byte[] body, List<JsonEdit> edits, string marker, JsonElement content, params JsonStep[] path)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            if (content.GetString() is not { Length: > 0 }) return;
            var (start, end) = JsonBodyPatcher.Locate(body, path) ?? throw new InvalidOperationException("The parsed body and its bytes disagree.");
            var block = $"[{{\"type\":\"text\",\"text\":{Encoding.UTF8.GetString(body, start, end - start)},{marker}}}]";
            edits.Add(new JsonEdit(start, end, Encoding.UTF8.GetBytes(block)));
            return;
        }
        if (content.ValueKind != JsonValueKind.Array) return;
        for (var i = content.GetArrayLength() - 1; i >= 0; i--)
        {
            if (!CanCarryMarker(content[i])) continue;
            AddToObject(body, edits, marker, [.. path, i]);
            return;
        }
    }

    private static void AddToObject(byte[] body, List<JsonEdit> edits, string marker, params JsonStep[] path)
    {
        var (start, _) = JsonBodyPatcher.Locate(body, path) ?? throw new InvalidOperationException("The parsed body and its bytes disagree.");
        edits.Add(JsonBodyPatcher.InsertFirstMember(body, start, marker));
    }

    private static bool CanCarryMarker(JsonElement block)
    {
        if (block.ValueKind != JsonValueKind.Object) return false;
        var type = block.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (type is "thinking" or "redacted_thinking") return false;
        return type != "text" || (block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String && text.GetString() is { Length: > 0 });
    }

    private static string EarlierText(JsonElement messages, int through)
    {
        var text = new StringBuilder();
        for (var i = 0; i <= through; i++) JsonFields.CollectText(messages[i], text);
        return text.ToString();
    }

    /// <summary>The prefix counted so far, in prompt order; counting stops once the minimum is reached.</summary>
    private sealed class PrefixLength(string model, long minimum, TokenCounter tokens)
    {
        private long _counted;

        public bool Reached => _counted >= minimum;

        public bool Reaches(string text)
        {
            if (!Reached) _counted += tokens.Count(model, text);
            return Reached;
        }

        /// <summary>Counts the text of a system prompt (string or blocks).</summary>
        public bool Reaches(JsonElement content)
        {
            if (Reached) return true;
            var text = new StringBuilder();
            JsonFields.CollectText(content, text);
            return Reaches(text.ToString());
        }
    }
}
