using System.Text.Json;

namespace TokenOps.Routing.Similarity;

/// <summary>What makes a request eligible for a semantic cache match (defaults: a system prompt and one user turn, no
/// tools, a short question the embedding reads whole).</summary>
public sealed record SemanticQueryOptions
{
    public int MaxUserTurns { get; init; } = 1;
    public bool AllowTools { get; init; }
    /// <summary>Longer questions are not matched: the embedding reads the first <see cref="SentenceVectors.MaxPieces"/>
    /// word-pieces only, and a long prompt differing after them must not match.</summary>
    public int MaxUserChars { get; init; } = 2_000;
    public float Threshold { get; init; } = SemanticQuery.DefaultThreshold;
}

/// <summary>
/// A request as the semantic cache matcher sees it: eligible or not (and why not), its context hash (model, response
/// format and system prompt: all must be equal for a match), its guard hash (<see cref="PromptGuards"/>) and the unit
/// vector of its user turn (<see cref="SentenceVectors"/>). Holds no prompt text once built.
/// </summary>
public sealed class SemanticQuery
{
    /// <summary>The similarity at or above which two prompts with the same guards match (measured in docs/ROUTING.md).</summary>
    public const float DefaultThreshold = 0.80f;

    private static readonly float[] NoVector = [];

    public bool IsEligible => Reason is null;
    /// <summary>Why the request is not eligible (null when it is).</summary>
    public string? Reason { get; }
    public ulong ContextHash { get; }
    public ulong GuardHash { get; }
    public float[] Vector { get; }

    private SemanticQuery(string? reason, ulong contextHash, ulong guardHash, float[] vector)
    {
        Reason = reason;
        ContextHash = contextHash;
        GuardHash = guardHash;
        Vector = vector;
    }

    public static SemanticQuery NotEligible(string reason) => new(reason, 0, 0, NoVector);

    /// <summary>From an OpenAI chat, Anthropic messages or Responses body (read by <see cref="RoutePromptReader"/>).</summary>
    public static SemanticQuery From(JsonElement body, SemanticQueryOptions? options = null, SentenceVectors? vectors = null)
    {
        options ??= new SemanticQueryOptions();
        if (body.ValueKind != JsonValueKind.Object) return NotEligible("the body is not a JSON object");
        if (body.TryGetProperty("previous_response_id", out var previous) && previous.ValueKind == JsonValueKind.String)
            return NotEligible("the request continues a stored conversation (previous_response_id)");
        if (HasNonTextContent(body)) return NotEligible("the request carries non-text content (images, audio or files)");
        var prompt = RoutePromptReader.Read(body);
        if (prompt.ToolCount > 0 && !options.AllowTools) return NotEligible("the request offers tools");
        if (prompt.Turns.Any(t => !string.Equals(t.Role, "user", StringComparison.OrdinalIgnoreCase)))
            return NotEligible("the conversation has assistant or tool turns");
        if (prompt.UserTurns == 0) return NotEligible("the request has no user turn");
        if (prompt.UserTurns > options.MaxUserTurns) return NotEligible($"the conversation has {prompt.UserTurns} user turns (at most {options.MaxUserTurns})");
        var model = body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        var format = body.TryGetProperty("response_format", out var rf) ? rf.GetRawText()
            : body.TryGetProperty("text", out var tf) && tf.ValueKind == JsonValueKind.Object && tf.TryGetProperty("format", out var f) ? f.GetRawText() : "";
        return FromText(prompt.System, string.Join("\n", prompt.Turns.Select(t => t.Text)), $"{model}\u0001{format}", options, vectors);
    }

    /// <summary>From a system prompt and the user's question; <paramref name="scope"/> is anything else that must be
    /// equal for a match (the model, the response format).</summary>
    public static SemanticQuery FromText(string? system, string user, string? scope = null, SemanticQueryOptions? options = null, SentenceVectors? vectors = null)
    {
        options ??= new SemanticQueryOptions();
        if (string.IsNullOrWhiteSpace(user)) return NotEligible("the user turn has no text");
        if (user.Length > options.MaxUserChars) return NotEligible($"the user turn is longer than {options.MaxUserChars} characters");
        vectors ??= SentenceVectors.Default;
        var context = PromptGuards.Fnv1a64($"{scope}\u0002{system?.Trim()}");
        var vector = vectors.Embed(user);
        return new SemanticQuery(null, context, PromptGuards.Of(user).Hash, vector);
    }

    private static bool HasNonTextContent(JsonElement body)
    {
        foreach (var name in (ReadOnlySpan<string>)["messages", "input"])
        {
            if (!body.TryGetProperty(name, out var items) || items.ValueKind != JsonValueKind.Array) continue;
            foreach (var item in items.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array) continue;
                foreach (var part in content.EnumerateArray())
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                        && type.GetString() is not ("text" or "input_text" or "output_text"))
                        return true;
            }
        }
        return false;
    }
}
