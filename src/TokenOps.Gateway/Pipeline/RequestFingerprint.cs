using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Waste;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// What waste detection keeps of a request, computed from the document the read stage has already parsed, with no
/// text kept: hashes of the stable prefix (tools, system prompt, instructions, leading system/developer messages) and of
/// the whole prompt (prefix and every message; model and sampling parameters left out, so a retry with a higher
/// max_tokens is the same prompt), a SimHash of the last user turn (or tool result), and the message count.
/// Raw JSON bytes are hashed where they lie (JsonMarshal), so the cost is one fast pass over the prompt.
/// </summary>
public sealed record RequestFingerprint(long? PrefixHash, long PrefixTokens, long? PromptHash, long? TurnSimHash, int MessageCount)
{
    public static readonly RequestFingerprint None = new(null, 0, null, null, 0);

    public static RequestFingerprint Of(JsonElement root)
    {
        var prefix = new StableHash();
        long prefixBytes = 0;
        void Prefix(JsonElement e)
        {
            var raw = JsonMarshal.GetRawUtf8Value(e);
            prefix.Add(raw);
            prefixBytes += raw.Length;
        }
        if (root.TryGetProperty("tools", out var tools)) Prefix(tools);
        if (root.TryGetProperty("system", out var system)) Prefix(system);
        if (root.TryGetProperty("instructions", out var instructions)) Prefix(instructions);

        var turns = root.TryGetProperty("messages", out var messages) ? messages : root.TryGetProperty("input", out var input) ? input : default;
        var count = 0;
        var prompt = new StableHash();
        JsonElement last = default;
        if (turns.ValueKind == JsonValueKind.Array)
        {
            var leading = true;
            foreach (var message in turns.EnumerateArray())
            {
                count++;
                var role = Role(message);
                // Leading system/developer messages are the chat protocols' system prompt: part of the stable prefix.
                if (leading && role is "system" or "developer") Prefix(message);
                else leading = false;
                if (role is "user" or "tool" || IsToolOutput(message)) last = message;
            }
            prompt.Add(JsonMarshal.GetRawUtf8Value(turns));
        }
        else if (turns.ValueKind == JsonValueKind.String)
        {
            count = 1;
            last = turns;
            prompt.Add(JsonMarshal.GetRawUtf8Value(turns));
        }
        if (!prefix.IsEmpty) prompt.Add(BitConverter.GetBytes(prefix.Value));
        var text = last.ValueKind == JsonValueKind.Undefined ? null : TurnText(last);
        return new RequestFingerprint(prefix.IsEmpty ? null : prefix.Value, prefixBytes / 4, prompt.IsEmpty ? null : prompt.Value,
            text is null ? null : SimHash.Of(text), count);
    }

    private static string? Role(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? Protocols.JsonText.SafeString(r) : null;

    private static bool IsToolOutput(JsonElement item) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.ValueEquals("function_call_output");

    /// <summary>The text of a turn: a string, a message's content (string or parts), text parts, tool results and outputs.</summary>
    private static string? TurnText(JsonElement turn)
    {
        if (turn.ValueKind == JsonValueKind.String) return Protocols.JsonText.SafeString(turn);
        var text = new StringBuilder();
        Collect(turn, text, 0);
        return text.Length == 0 ? null : text.ToString();
    }

    private static void Collect(JsonElement e, StringBuilder text, int depth)
    {
        if (depth > 6 || text.Length > SimHash.MaxChars) return;
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                text.Append(Protocols.JsonText.SafeString(e)).Append(' ');
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray()) Collect(item, text, depth + 1);
                break;
            case JsonValueKind.Object:
                foreach (var name in TextProperties)
                    if (e.TryGetProperty(name, out var v)) Collect(v, text, depth + 1);
                break;
        }
    }

    // Where protocols put a turn's text: message content, text parts, tool results (content) and Responses outputs.
    private static readonly string[] TextProperties = ["content", "text", "output"];
}
