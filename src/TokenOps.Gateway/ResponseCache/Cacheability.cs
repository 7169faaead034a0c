using System.Text.Json;

namespace TokenOps.Gateway.ResponseCache;

/// <summary>
/// Which requests the cache may answer. An answer is only worth replaying when asking again would give the same one:
/// temperature 0 or unset (the provider's default for a repeated question is what the client accepted before), or a
/// seed. A request whose last message is a tool result continues a tool loop whose results carry state (a file read, a
/// query's rows): never cached unless the team or route turns <c>cacheToolResults</c> on.
/// </summary>
public static class Cacheability
{
    /// <summary>Null when the request may be cached, else the reason it may not.</summary>
    public static string? Refusal(string route, JsonElement body, bool cacheToolResults)
    {
        var deterministic = !body.TryGetProperty("temperature", out var t) || t.ValueKind == JsonValueKind.Null
            || t.ValueKind == JsonValueKind.Number && t.TryGetDouble(out var value) && value == 0
            || body.TryGetProperty("seed", out var seed) && seed.ValueKind == JsonValueKind.Number;
        if (!deterministic) return "temperature";
        if (body.TryGetProperty("background", out var background) && background.ValueKind == JsonValueKind.True) return "background";
        if (!cacheToolResults && EndsWithToolResult(route, body)) return "tool_result";
        return null;
    }

    public static bool EndsWithToolResult(string route, JsonElement body) => route switch
    {
        "openai.chat" => Last(body, "messages") is { } m && m.TryGetProperty("role", out var role) && (role.ValueEquals("tool"u8) || role.ValueEquals("function"u8)),
        "anthropic.messages" => Last(body, "messages") is { } m && m.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array
            && content.EnumerateArray().Any(b => b.ValueKind == JsonValueKind.Object && b.TryGetProperty("type", out var type) && type.ValueEquals("tool_result"u8)),
        "openai.responses" => Last(body, "input") is { } item && item.TryGetProperty("type", out var type)
            && Protocols.JsonText.SafeString(type) is { } name && name.EndsWith("_output", StringComparison.Ordinal),
        _ => false,
    };

    private static JsonElement? Last(JsonElement body, string field)
    {
        if (!body.TryGetProperty(field, out var list) || list.ValueKind != JsonValueKind.Array) return null;
        var length = list.GetArrayLength();
        if (length == 0) return null;
        var last = list[length - 1];
        return last.ValueKind == JsonValueKind.Object ? last : null;
    }
}
