using System.Text;
using System.Text.Json;

namespace TokenOps.Gateway.Routing;

/// <summary>
/// Whether a cheaper model's answer will do, for a cascade: it fails when it is empty, a refusal, stopped by the token
/// limit, or not JSON (with the schema's required top-level fields) when the request asked for a JSON schema or object.
/// Returns the reason it failed as a code (refusal, length, empty, invalid_json), or null. Reads the provider's JSON answer in each protocol's shape.
/// </summary>
public static class AnswerCheck
{
    private static readonly string[] RefusalOpenings =
        ["I can't help", "I cannot help", "I can't assist", "I cannot assist", "I'm sorry, but I can", "I am sorry, but I can", "I'm unable to", "I am unable to"];

    /// <param name="requestRoot">The request, for the format it asked for.</param>
    public static string? Fails(string route, JsonElement requestRoot, ReadOnlySpan<byte> answer)
    {
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(answer);
            doc = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return null; // not ours to judge: the relay and the meter handle an unreadable body
        }
        using (doc)
        {
            var (text, stop, refused, toolCalls) = Read(route, doc.RootElement);
            if (refused) return "refusal";
            if (stop is "length" or "max_tokens" or "incomplete") return "length";
            if (text.Length == 0 && !toolCalls) return "empty";
            var trimmed = text.TrimStart();
            foreach (var opening in RefusalOpenings)
                if (trimmed.StartsWith(opening, StringComparison.OrdinalIgnoreCase)) return "refusal";
            if (!toolCalls && WantsJson(requestRoot, out var required) && !IsJsonWith(text, required)) return "invalid_json";
            return null;
        }
    }

    private static (string Text, string? Stop, bool Refused, bool ToolCalls) Read(string route, JsonElement root)
    {
        var text = new StringBuilder();
        string? stop = null;
        var refused = false;
        var tools = false;
        switch (route)
        {
            case "openai.chat" when root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0:
                var choice = choices[0];
                stop = String(choice, "finish_reason");
                if (choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
                {
                    text.Append(String(message, "content"));
                    refused = String(message, "refusal") is { Length: > 0 };
                    tools = message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array && calls.GetArrayLength() > 0;
                }
                break;
            case "anthropic.messages":
                stop = String(root, "stop_reason");
                refused = stop == "refusal";
                if (root.TryGetProperty("content", out var blocks) && blocks.ValueKind == JsonValueKind.Array)
                    foreach (var block in blocks.EnumerateArray())
                    {
                        if (String(block, "type") == "text") text.Append(String(block, "text"));
                        else if (String(block, "type") == "tool_use") tools = true;
                    }
                break;
            case "openai.responses":
                stop = String(root, "status") == "incomplete" ? "incomplete" : null;
                if (root.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Array)
                    foreach (var item in output.EnumerateArray())
                    {
                        if (String(item, "type") == "function_call") tools = true;
                        if (String(item, "type") != "message" || !item.TryGetProperty("content", out var parts) || parts.ValueKind != JsonValueKind.Array) continue;
                        foreach (var part in parts.EnumerateArray())
                        {
                            if (String(part, "type") == "output_text") text.Append(String(part, "text"));
                            else if (String(part, "type") == "refusal") refused = true;
                        }
                    }
                break;
        }
        return (text.ToString(), stop, refused, tools);
    }

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>response_format (chat), text.format (responses), output_format (messages): json_schema or json_object.</summary>
    private static bool WantsJson(JsonElement request, out IReadOnlyList<string> required)
    {
        required = [];
        JsonElement format = default;
        if (request.TryGetProperty("response_format", out var chat)) format = chat;
        else if (request.TryGetProperty("output_format", out var messages)) format = messages;
        else if (request.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.Object && t.TryGetProperty("format", out var f)) format = f;
        var type = String(format, "type");
        if (type is not ("json_schema" or "json_object")) return false;
        // The schema sits in json_schema.schema (chat), or beside the type (responses, messages).
        var schema = format.TryGetProperty("json_schema", out var js) && js.ValueKind == JsonValueKind.Object && js.TryGetProperty("schema", out var s1) ? s1
            : format.TryGetProperty("schema", out var s2) ? s2 : default;
        if (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("required", out var req) && req.ValueKind == JsonValueKind.Array)
            required = req.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!).ToList();
        return true;
    }

    private static bool IsJsonWith(string text, IReadOnlyList<string> required)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (required.Count == 0) return true;
            return doc.RootElement.ValueKind == JsonValueKind.Object && required.All(r => doc.RootElement.TryGetProperty(r, out _));
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>Thrown by the relay when a cascade's cheaper answer fails its check, before anything reaches the client.</summary>
public sealed class CascadeEscalation(string reason) : Exception(reason)
{
    public string Reason { get; } = reason;
}
