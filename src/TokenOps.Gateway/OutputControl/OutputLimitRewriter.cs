using System.Globalization;
using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.OutputControl;

/// <summary>A body after output control: its output limit per choice as the provider will read it, and what was changed (null: nothing).</summary>
public readonly record struct OutputRewrite(byte[] Body, long? MaxOutputTokens, string? Applied);

/// <summary>
/// Applies output limits and reasoning ceilings to a request body, per protocol, changing only the fields concerned (every
/// other byte passes through):
/// <list type="bullet">
/// <item>chat: <c>max_completion_tokens</c> and <c>max_tokens</c>, every one the body has (a provider obeying the one left
///   alone would defeat the cap); a default goes in <c>max_completion_tokens</c> for OpenAI's own models (its reasoning
///   models refuse <c>max_tokens</c>) and in <c>max_tokens</c> for other OpenAI-compatible servers; <c>reasoning_effort</c>;</item>
/// <item>responses: <c>max_output_tokens</c>, <c>reasoning.effort</c>;</item>
/// <item>messages: <c>max_tokens</c> (required, so only a cap applies) and <c>thinking.budget_tokens</c>, which Anthropic
///   requires below <c>max_tokens</c>: a cap that would break that lowers the budget too.</item>
/// </list>
/// An effort is only lowered, never raised or added (a model without reasoning refuses the field); a default never exceeds
/// the model's own output limit in the catalog.
/// </summary>
public static class OutputLimitRewriter
{
    public static OutputRewrite Apply(byte[] body, string route, OutputLimits limits, bool openAIModel, long? modelMaxOutput)
    {
        var fields = OutputFields.Scan(body);
        var applied = new List<string>(2);
        long? max;
        switch (route)
        {
            case "openai.chat":
                (body, max) = Limit(body, limits, [("max_completion_tokens", fields.MaxCompletionTokens), ("max_tokens", fields.MaxTokens)],
                    openAIModel ? "max_completion_tokens" : "max_tokens", modelMaxOutput, applied);
                if (fields.ReasoningEffort is { } effort && limits.MaxEffort is { } ceiling && ReasoningEffort.Exceeds(effort, ceiling))
                {
                    body = JsonBodyPatcher.SetTopLevel(body, "reasoning_effort", JsonSerializer.Serialize(ceiling));
                    applied.Add($"reasoning_effort={ceiling}(ceiling)");
                }
                break;
            case "openai.responses":
                (body, max) = Limit(body, limits, [("max_output_tokens", fields.MaxOutputTokens)], "max_output_tokens", modelMaxOutput, applied);
                if (fields.Reasoning is { } reasoning && limits.MaxEffort is { } responsesCeiling
                    && StringMember(reasoning, "effort") is { } asked && ReasoningEffort.Exceeds(asked, responsesCeiling))
                {
                    body = JsonBodyPatcher.SetTopLevel(body, "reasoning", WithMember(reasoning, "effort", JsonSerializer.Serialize(responsesCeiling)));
                    applied.Add($"reasoning.effort={responsesCeiling}(ceiling)");
                }
                break;
            case "openai.completions":
                // No default is written: without max_tokens the API generates at most 16 tokens, below any default.
                (body, max) = Limit(body, limits, [("max_tokens", fields.MaxTokens)], null, modelMaxOutput, applied);
                break;
            case "anthropic.messages":
                var asSent = fields.MaxTokens;
                (body, max) = Limit(body, limits, [("max_tokens", asSent)], null, null, applied);
                if (fields.Thinking is { } thinking && asSent is { } before && max is { } after)
                    body = FitThinking(body, thinking, before, after, limits.MaxBudgetTokens, "cap", applied);
                break;
            default:
                return new OutputRewrite(body, null, null);
        }
        return new OutputRewrite(body, max, applied.Count == 0 ? null : string.Join(';', applied));
    }

    /// <summary>
    /// After <c>max_tokens</c> was lowered from <paramref name="before"/> to <paramref name="after"/> (by a cap or a budget
    /// clamp), keeps an Anthropic thinking budget valid: below the new limit and at least Anthropic's 1,024, in the same share
    /// of the limit the client gave it; with no room left for that, thinking is switched off. A budget the client set at or
    /// above its own limit (interleaved thinking allows it) is the client's choice and left alone.
    /// </summary>
    /// <param name="reason">What lowered the limit, for the note in <paramref name="applied"/> (for example "clamp").</param>
    public static byte[] KeepThinkingBelow(byte[] body, long before, long after, string reason, List<string> applied) =>
        OutputFields.Scan(body).Thinking is { } thinking ? FitThinking(body, thinking, before, after, null, reason, applied) : body;

    private static (byte[] Body, long? Max) Limit(byte[] body, OutputLimits limits, (string Name, long? Value)[] fields, string? defaultField,
        long? modelMaxOutput, List<string> applied)
    {
        long? max = null;
        var anySent = false;
        foreach (var (name, value) in fields)
        {
            if (value is not { } sent) continue;
            anySent = true;
            var kept = sent;
            if (limits.CapMaxTokens is { } cap && sent > cap)
            {
                body = JsonBodyPatcher.SetTopLevel(body, name, cap.ToString(CultureInfo.InvariantCulture));
                applied.Add($"{name}={cap}(cap)");
                kept = cap;
            }
            max = Math.Max(max ?? 0, kept);
        }
        if (!anySent && defaultField is not null && limits.DefaultMaxTokens is { } fallback)
        {
            // A default above the model's own limit would be refused by the provider; the model's limit then bounds it.
            var value = modelMaxOutput is { } m && m > 0 && m < fallback ? m : fallback;
            body = JsonBodyPatcher.SetTopLevel(body, defaultField, value.ToString(CultureInfo.InvariantCulture));
            applied.Add($"{defaultField}={value}(default)");
            max = value;
        }
        return (body, max);
    }

    private static byte[] FitThinking(byte[] body, ReadOnlyMemory<byte> thinking, long before, long after, long? ceiling, string lowerReason,
        List<string> applied)
    {
        using var doc = JsonDocument.Parse(thinking);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || StringMember(root, "type") != "enabled"
            || !root.TryGetProperty("budget_tokens", out var b) || !b.TryGetInt64(out var asked)) return body;
        var budget = asked;
        var reason = "ceiling";
        if (ceiling is { } c && budget > c) budget = c;
        if (after < before && asked < before && budget >= after)
        {
            // The client's share of its own limit, applied to the new one.
            var share = (long)((decimal)asked * after / before);
            budget = Math.Min(budget, Math.Max(Configuration.OutputControlOptions.MinBudgetTokens, share));
            reason = lowerReason;
            if (budget >= after)
            {
                applied.Add($"thinking=disabled({lowerReason})");
                return JsonBodyPatcher.SetTopLevel(body, "thinking", """{"type":"disabled"}""");
            }
        }
        if (budget == asked) return body;
        applied.Add($"thinking.budget_tokens={budget}({reason})");
        return JsonBodyPatcher.SetTopLevel(body, "thinking", WithMember(root, "budget_tokens", budget.ToString(CultureInfo.InvariantCulture)));
    }

    private static string? StringMember(ReadOnlyMemory<byte> json, string name)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.ValueKind == JsonValueKind.Object ? StringMember(doc.RootElement, name) : null;
    }

    private static string? StringMember(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? JsonText.SafeString(v) : null;

    private static string WithMember(ReadOnlyMemory<byte> json, string name, string rawValue)
    {
        using var doc = JsonDocument.Parse(json);
        return WithMember(doc.RootElement, name, rawValue);
    }

    /// <summary>The object's JSON with one member's value replaced; the other members kept, in order.</summary>
    private static string WithMember(JsonElement obj, string name, string rawValue)
    {
        var text = new StringBuilder("{");
        foreach (var p in obj.EnumerateObject())
        {
            if (text.Length > 1) text.Append(',');
            text.Append(JsonSerializer.Serialize(JsonText.SafeString(p))).Append(':').Append(JsonText.SafeString(p) == name ? rawValue : p.Value.GetRawText());
        }
        return text.Append('}').ToString();
    }
}

/// <summary>The top-level fields output control reads, found in one pass of the reader that skips everything else.</summary>
internal readonly record struct OutputFields(long? MaxCompletionTokens, long? MaxTokens, long? MaxOutputTokens, string? ReasoningEffort,
    ReadOnlyMemory<byte>? Reasoning, ReadOnlyMemory<byte>? Thinking)
{
    public static OutputFields Scan(byte[] body)
    {
        long? maxCompletion = null, maxTokens = null, maxOutput = null;
        string? effort = null;
        ReadOnlyMemory<byte>? reasoning = null, thinking = null;
        var reader = new Utf8JsonReader(body);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueTextEquals("max_completion_tokens"u8) ? 1 : reader.ValueTextEquals("max_tokens"u8) ? 2
                : reader.ValueTextEquals("max_output_tokens"u8) ? 3 : reader.ValueTextEquals("reasoning_effort"u8) ? 4
                : reader.ValueTextEquals("reasoning"u8) ? 5 : reader.ValueTextEquals("thinking"u8) ? 6 : 0;
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            if (name is 1 or 2 or 3 && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n))
            {
                if (name == 1) maxCompletion = n;
                else if (name == 2) maxTokens = n;
                else maxOutput = n;
            }
            else if (name == 4 && reader.TokenType == JsonTokenType.String)
                effort = TryString(ref reader);
            reader.Skip();
            if (name is 5 or 6 && reader.TokenType == JsonTokenType.EndObject)
            {
                var raw = body.AsMemory(start, (int)reader.BytesConsumed - start);
                if (name == 5) reasoning = raw;
                else thinking = raw;
            }
        }
        return new OutputFields(maxCompletion, maxTokens, maxOutput, effort, reasoning, thinking);
    }

    private static string? TryString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null; // a lone surrogate escape: not a level anyone knows, left for the provider to refuse
        }
    }
}
