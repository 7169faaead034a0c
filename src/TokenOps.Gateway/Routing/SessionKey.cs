using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TokenOps.Gateway.Routing;

/// <summary>
/// Which conversation a request belongs to, so that a conversation stays on one model and keeps its provider prompt cache:
/// a session header (Claude Code's <c>x-claude-code-session-id</c>, or <c>X-TokenOps-Session</c>); for the Responses API
/// the <c>previous_response_id</c> (the pin follows the chain: each answer's id is pinned in turn); otherwise a hash of
/// the conversation's opening (system prompt and first user message), which every later turn repeats. A Responses
/// <c>conversation</c> names its session too. Prompt-cache help (OpenAI prompt_cache_key) builds on the same parts.
/// </summary>
public static class SessionKey
{
    public static readonly string[] Headers = ["x-claude-code-session-id", "X-TokenOps-Session"];

    public static string? Read(HttpRequest request, JsonElement root)
    {
        if (Header(request.Headers) is { } header) return header;
        if (Conversation(root) is { } conversation) return conversation;
        if (root.TryGetProperty("previous_response_id", out var previous) && previous.ValueKind == JsonValueKind.String)
            return "r:" + previous.GetString();
        return Opening(root);
    }

    /// <summary>A session header's value ("h:..."), when the client sent one of a sane length.</summary>
    public static string? Header(IHeaderDictionary headers)
    {
        foreach (var header in Headers)
        {
            var value = headers[header].ToString();
            if (value.Length is > 0 and <= 256) return "h:" + value;
        }
        return null;
    }

    /// <summary>A Responses <c>conversation</c> (an id, or an object with one): "c:...".</summary>
    public static string? Conversation(JsonElement root)
    {
        if (!root.TryGetProperty("conversation", out var conversation)) return null;
        var id = conversation.ValueKind == JsonValueKind.Object && conversation.TryGetProperty("id", out var inner) ? inner : conversation;
        return id.ValueKind == JsonValueKind.String ? "c:" + Protocols.JsonText.SafeString(id) : null;
    }

    /// <summary>The key an answer's own id pins, so that the next turn naming it as previous_response_id finds the model.</summary>
    public static string ForResponse(string responseId) => "r:" + responseId;

    /// <summary>"o:" and SHA-256 of the system prompt and the first user message, as JSON text; null for a body with neither.</summary>
    public static string? Opening(JsonElement root)
    {
        var text = new StringBuilder();
        if (root.TryGetProperty("system", out var system)) text.Append(system.GetRawText());
        if (root.TryGetProperty("instructions", out var instructions)) text.Append(instructions.GetRawText());
        var turns = root.TryGetProperty("messages", out var messages) ? messages : root.TryGetProperty("input", out var input) ? input : default;
        if (turns.ValueKind == JsonValueKind.String)
        {
            text.Append(turns.GetRawText());
        }
        else if (turns.ValueKind == JsonValueKind.Array)
        {
            // System/developer messages, then the first user message: the part of the conversation every turn repeats.
            foreach (var message in turns.EnumerateArray())
            {
                var role = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                text.Append(message.GetRawText());
                if (role is not ("system" or "developer")) break;
            }
        }
        if (text.Length == 0) return null;
        return "o:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0, 16);
    }
}
