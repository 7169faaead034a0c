using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.PromptCache;

/// <summary>
/// A <c>prompt_cache_key</c> for an OpenAI chat or responses body that sets none, from the session the request belongs
/// to: a session header (Claude Code's <c>x-claude-code-session-id</c>, or <c>X-TokenOps-Session</c>), a Responses
/// <c>conversation</c>, else the conversation's opening (system/developer messages or instructions, and the first user
/// message), which every later turn repeats. OpenAI routes a request to a cache machine by its first tokens and this key,
/// and a route sent more than about 15 requests a minute spills onto machines that have nothing cached: one key per
/// session keeps sessions that share a long system prompt apart. The value is a hash (no session id or prompt text goes
/// upstream). A Responses turn that names a <c>previous_response_id</c> without a session header gets no key: its input
/// is only the new turn, so a hash of it would differ every turn and scatter the session.
/// </summary>
public static class OpenAICacheKey
{
    public static readonly string[] SessionHeaders = ["x-claude-code-session-id", "X-TokenOps-Session"];

    /// <summary>OpenAI only caches prompts of 1,024 tokens or more; a body shorter than that many bytes cannot hold one.</summary>
    public const int MinimumBodyBytes = 1024;

    /// <summary>The body with a prompt_cache_key, or null when the client set one, the body is too short, or no session is known.</summary>
    public static byte[]? Add(byte[] body, JsonElement root, IHeaderDictionary headers)
    {
        if (body.Length < MinimumBodyBytes || root.TryGetProperty("prompt_cache_key", out _)) return null;
        return Session(root, headers) is { } session
            ? JsonBodyPatcher.InsertTopLevel(body, "prompt_cache_key", JsonSerializer.Serialize(Key(session)))
            : null;
    }

    /// <summary>tokenops- and 32 hex digits of SHA-256 of the session.</summary>
    public static string Key(string session) =>
        "tokenops-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(session)), 0, 16);

    public static string? Session(JsonElement root, IHeaderDictionary headers)
    {
        foreach (var header in SessionHeaders)
        {
            var value = headers[header].ToString();
            if (value.Length is > 0 and <= 256) return "h:" + value;
        }
        if (root.TryGetProperty("conversation", out var conversation))
        {
            var id = conversation.ValueKind == JsonValueKind.Object && conversation.TryGetProperty("id", out var inner) ? inner : conversation;
            if (id.ValueKind == JsonValueKind.String) return "c:" + JsonText.SafeString(id);
        }
        if (root.TryGetProperty("previous_response_id", out var previous) && previous.ValueKind == JsonValueKind.String) return null;
        return Opening(root) is { Length: > 0 } opening ? "o:" + opening : null;
    }

    /// <summary>System/developer messages (or instructions) and the first user message, as their JSON text.</summary>
    private static string Opening(JsonElement root)
    {
        var text = new StringBuilder();
        if (root.TryGetProperty("instructions", out var instructions)) text.Append(instructions.GetRawText());
        var turns = root.TryGetProperty("messages", out var messages) ? messages : root.TryGetProperty("input", out var input) ? input : default;
        if (turns.ValueKind == JsonValueKind.String)
        {
            text.Append(turns.GetRawText());
        }
        else if (turns.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in turns.EnumerateArray())
            {
                text.Append(message.GetRawText());
                var role = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                if (role is not ("system" or "developer")) break;
            }
        }
        return text.ToString();
    }
}
