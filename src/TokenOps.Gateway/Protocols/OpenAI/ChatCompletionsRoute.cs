using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Metering;

namespace TokenOps.Gateway.Protocols.OpenAI;

/// <summary>POST /v1/chat/completions. Streams get <c>stream_options.include_usage</c> so that they can be metered.</summary>
public sealed class ChatCompletionsRoute : ProtocolRoute
{
    private const string IncludeUsage = "{\"include_usage\":true}";
    public override string Name => "openai.chat";
    public override string Path => "/v1/chat/completions";
    public override Dialect Dialect => Dialect.OpenAI;

    public override RequestFacts Read(JsonElement root)
    {
        var model = JsonFields.RequiredModel(root);
        JsonFields.RequireArray(root, "messages");
        var stream = JsonFields.OptionalBool(root, "stream");
        // Both limits sent: the larger bounds what a provider obeying either may generate.
        var completionLimit = JsonFields.OptionalPositiveInt(root, "max_completion_tokens");
        var legacyLimit = JsonFields.OptionalPositiveInt(root, "max_tokens");
        var maxTokens = completionLimit is { } c && legacyLimit is { } l ? Math.Max(c, l) : completionLimit ?? legacyLimit;
        var askedForUsage = false;
        var optionsSent = root.TryGetProperty("stream_options", out var options);
        if (optionsSent && options.ValueKind == JsonValueKind.Object)
            askedForUsage = JsonFields.OptionalBool(options, "include_usage");
        return new RequestFacts(model, stream, maxTokens, askedForUsage, JsonFields.Choices(root), optionsSent, UnseenInput.InChat(root),
            ToolCallBound.InChat(root, model), JsonFields.RequestedTier(root));
    }

    public override byte[] PrepareUpstreamBody(byte[] body, RequestFacts facts, string servedModel) =>
        WithIncludeUsage(base.PrepareUpstreamBody(body, facts, servedModel), facts);

    /// <summary>A stream's body with <c>stream_options.include_usage</c> set (chat and legacy completions stream alike).</summary>
    internal static byte[] WithIncludeUsage(byte[] body, RequestFacts facts)
    {
        if (!facts.Stream || facts.ClientAskedForUsage) return body;
        // The usual case, no stream_options at all: nothing of the client's to keep, so no second parse. (Whether it is
        // there comes from the parsed body, so an escaped name such as "stream\u005foptions" is seen too.)
        if (!facts.StreamOptionsSent) return JsonBodyPatcher.InsertTopLevel(body, "stream_options", IncludeUsage);
        // Keep any other stream option the client set; only include_usage is ours.
        using var doc = JsonDocument.Parse(body);
        var options = new Dictionary<string, JsonElement>();
        if (doc.RootElement.TryGetProperty("stream_options", out var existing) && existing.ValueKind == JsonValueKind.Object)
            foreach (var p in existing.EnumerateObject()) options[p.Name] = p.Value;
        var merged = new StringBuilder("{\"include_usage\":true");
        foreach (var (name, value) in options.Where(o => o.Key != "include_usage"))
            merged.Append(',').Append(JsonSerializer.Serialize(name)).Append(':').Append(value.GetRawText());
        merged.Append('}');
        return JsonBodyPatcher.SetTopLevel(body, "stream_options", merged.ToString());
    }

    // A search model searches once per request (web_search_options), billed per request on top of tokens.
    public override UsageMeter CreateMeter(RequestFacts facts) => new ChatCompletionsMeter(facts.ClientAskedForUsage, facts.ToolCalls);

    public override void CollectPromptText(JsonElement root, StringBuilder text)
    {
        if (root.TryGetProperty("messages", out var messages)) JsonFields.CollectText(messages, text);
        // Definitions and schemas are billed as their JSON text.
        foreach (var name in (ReadOnlySpan<string>)["tools", "functions", "response_format", "prediction"])
            if (root.TryGetProperty(name, out var value)) text.Append(value.GetRawText());
    }
}

/// <summary>Chat: usage is in the body, or in the last chunk before [DONE] (choices empty, usage set).</summary>
internal sealed class ChatCompletionsMeter(bool clientAskedForUsage, long webSearches = 0, TextFields? streamedText = null) : UsageMeter
{
    private static readonly TextFields ChatDeltaText = new("content", "arguments");
    private readonly TextFields DeltaText = streamedText ?? ChatDeltaText;
    public override void OnJson(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String) ProviderRequestId = JsonText.SafeString(id);
        Tier = ParseTier(root);
        if (root.TryGetProperty("choices", out var answers) && answers.ValueKind == JsonValueKind.Array)
            foreach (var choice in answers.EnumerateArray())
            {
                if (choice.ValueKind != JsonValueKind.Object) continue;
                if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String) FinishReason ??= JsonText.SafeString(finish);
                if (choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object
                    && message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                    ToolCallCount += calls.GetArrayLength();
            }
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            Usage = OpenAIUsage.FromChat(usage, Tier) with { WebSearchCalls = webSearches };
        else if (root.TryGetProperty("choices", out var choices))
            CollectGenerated(choices);
    }

    /// <summary>
    /// A chunk's finish reason and new tool calls, by scanning its bytes (every content chunk passes here, so no parse):
    /// each tool call's first delta carries <c>"type":"function"</c> once.
    /// </summary>
    private void ScanAnswer(ReadOnlySpan<byte> data)
    {
        var at = data.IndexOf("\"finish_reason\":"u8);
        if (at >= 0)
        {
            var value = data[(at + 16)..].TrimStart(" \t"u8);
            if (value.Length > 1 && value[0] == (byte)'"')
            {
                var end = value[1..].IndexOf((byte)'"');
                if (end is > 0 and < 64) FinishReason = System.Text.Encoding.UTF8.GetString(value.Slice(1, end));
            }
        }
        if (data.IndexOf("\"tool_calls\""u8) < 0) return;
        for (var rest = data; (at = rest.IndexOf("\"type\":\"function\""u8)) >= 0; rest = rest[(at + 17)..]) ToolCallCount++;
    }

    public override bool OnEvent(ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> data)
    {
        if (data.SequenceEqual("[DONE]"u8))
        {
            IsTerminal = true;
            return true;
        }
        ScanAnswer(data);
        if (!HasUsageObject(data))
        {
            if (ProviderRequestId is null) ReadId(data);
            AppendStrings(data, DeltaText);
            return true;
        }
        try
        {
            using var doc = JsonDocument.Parse(data.ToArray());
            var root = doc.RootElement;
            if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String) ProviderRequestId ??= JsonText.SafeString(id);
            Tier = ParseTier(root);
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                Usage = OpenAIUsage.FromChat(usage, Tier) with { WebSearchCalls = webSearches };
                // The usage-only chunk exists because TokenOps asked for it; a client that did not ask never sees it.
                var usageOnly = root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() == 0;
                return clientAskedForUsage || !usageOnly;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
        }
        return true;
    }

    /// <summary>Whether the chunk has <c>"usage": {...}</c> (not null): one scan, as every content chunk is checked.</summary>
    private static bool HasUsageObject(ReadOnlySpan<byte> data)
    {
        while (true)
        {
            var at = data.IndexOf("\"usage\":"u8);
            if (at < 0) return false;
            data = data[(at + 8)..];
            var value = data.TrimStart(" \t\r\n"u8);
            if (!value.IsEmpty && value[0] == (byte)'{') return true;
        }
    }

    private void ReadId(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id"u8);
                reader.Read();
                if (isId && reader.TokenType == JsonTokenType.String) { ProviderRequestId = reader.GetString(); return; }
                reader.Skip();
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
        }
    }
}
