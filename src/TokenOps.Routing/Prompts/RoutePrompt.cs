namespace TokenOps.Routing;

/// <summary>One turn of a conversation as the scorer sees it: its role (user, assistant, tool, ...) and its text.</summary>
public sealed record RouteTurn(string Role, string Text);

/// <summary>
/// What the router scores, whatever the protocol: the system text, the turns in order, how many tools the request
/// offers, and the output the client asked for (max_tokens and its variants), when it did.
/// </summary>
public sealed record RoutePrompt(string? System, IReadOnlyList<RouteTurn> Turns, int ToolCount, long? RequestedOutputTokens)
{
    /// <summary>A plain one-turn prompt (the evaluation files, `{"prompt": ...}` lines).</summary>
    public static RoutePrompt FromText(string text) => new(null, [new RouteTurn("user", text)], 0, null);

    /// <summary>The last user turn's text: the question being asked now (empty when there is none).</summary>
    public string LastUserText
    {
        get
        {
            for (var i = Turns.Count - 1; i >= 0; i--)
                if (string.Equals(Turns[i].Role, "user", StringComparison.OrdinalIgnoreCase) && Turns[i].Text.Length > 0) return Turns[i].Text;
            return Turns.Count > 0 ? Turns[^1].Text : "";
        }
    }

    /// <summary>How many user turns the conversation has had, the current one included.</summary>
    public int UserTurns => Turns.Count(t => string.Equals(t.Role, "user", StringComparison.OrdinalIgnoreCase));

    /// <summary>Characters of text in the whole request (system and every turn).</summary>
    public long TotalChars => (System?.Length ?? 0) + Turns.Sum(t => (long)t.Text.Length);
}
