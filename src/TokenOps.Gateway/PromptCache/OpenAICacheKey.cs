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
        // The router's session parts (Routing/SessionKey), except that a bare previous_response_id gives no key (see above).
        if (Routing.SessionKey.Header(headers) is { } header) return header;
        if (Routing.SessionKey.Conversation(root) is { } conversation) return conversation;
        if (root.TryGetProperty("previous_response_id", out var previous) && previous.ValueKind == JsonValueKind.String) return null;
        return Routing.SessionKey.Opening(root);
    }
}
