using System.Text;
using System.Text.Json;
using TokenOps.Core.Metering;
using TokenOps.Gateway.Metering;

namespace TokenOps.Gateway.Protocols.Anthropic;

/// <summary>POST /v1/messages (Anthropic). Streams: message_start usage overlaid by the last message_delta (cumulative).</summary>
public sealed class MessagesRoute : ProtocolRoute
{
    public override string Name => "anthropic.messages";
    public override string Path => "/v1/messages";
    public override Dialect Dialect => Dialect.Anthropic;

    public override RequestFacts Read(JsonElement root)
    {
        var model = JsonFields.RequiredModel(root);
        JsonFields.RequireArray(root, "messages");
        var maxTokens = JsonFields.OptionalPositiveInt(root, "max_tokens")
            ?? throw GatewayException.BadRequest("missing_field", "The request body has no 'max_tokens'; Anthropic requires it.", "max_tokens");
        return new RequestFacts(model, JsonFields.OptionalBool(root, "stream"), maxTokens, true, UnseenInput: UnseenInput.InMessages(root),
            ToolCalls: ToolCallBound.InMessages(root));
    }

    public override UsageMeter CreateMeter(RequestFacts facts) => new MessagesMeter();

    public override void CollectPromptText(JsonElement root, StringBuilder text)
    {
        if (root.TryGetProperty("system", out var system)) JsonFields.CollectText(system, text);
        if (root.TryGetProperty("messages", out var messages)) JsonFields.CollectText(messages, text);
        if (root.TryGetProperty("tools", out var tools)) text.Append(tools.GetRawText());
    }
}

internal sealed class MessagesMeter : UsageMeter
{
    private static readonly TextFields DeltaText = new("text", "thinking", "partial_json");
    private long _input, _cacheRead, _cacheWrite, _write5m, _write1h, _output, _thinking, _webSearches, _webFetches;
    private bool _hasSplit, _sawUsage;

    public override void OnJson(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String) ProviderRequestId = JsonText.SafeString(id);
        if (root.TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String) FinishReason = JsonText.SafeString(stop);
        if (root.TryGetProperty("content", out var blocks) && blocks.ValueKind == JsonValueKind.Array)
            foreach (var block in blocks.EnumerateArray())
                if (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("tool_use"))
                    ToolCallCount++;
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            Overlay(usage, replaceOnlyPresent: false);
            Usage = Build();
        }
        else if (root.TryGetProperty("content", out var content))
        {
            CollectGenerated(content);
        }
    }

    public override bool OnEvent(ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> data)
    {
        if (eventName.SequenceEqual("content_block_delta"u8))
        {
            AppendStrings(data, DeltaText);
            return true;
        }
        if (eventName.SequenceEqual("message_stop"u8))
        {
            // Only usage the provider actually sent counts as reported; without any, the settle stage estimates.
            Usage = _sawUsage ? Build() : null;
            IsTerminal = true;
            return true;
        }
        if (eventName.SequenceEqual("content_block_start"u8))
        {
            if (data.IndexOf("\"tool_use\""u8) >= 0) ToolCallCount++;
            return true;
        }
        var isStart = eventName.SequenceEqual("message_start"u8);
        if (!isStart && !eventName.SequenceEqual("message_delta"u8)) return true;
        try
        {
            using var doc = JsonDocument.Parse(data.ToArray());
            var root = doc.RootElement;
            if (!isStart && root.TryGetProperty("delta", out var change) && change.ValueKind == JsonValueKind.Object
                && change.TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String)
                FinishReason = JsonText.SafeString(stop);
            if (isStart && root.TryGetProperty("message", out var message))
            {
                if (message.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String) ProviderRequestId = JsonText.SafeString(id);
                if (message.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                {
                    Overlay(usage, false);
                    _sawUsage = true;
                }
            }
            else if (root.TryGetProperty("usage", out var delta) && delta.ValueKind == JsonValueKind.Object)
            {
                // Cumulative counts: replace, never add (the SDK's own accumulator does the same).
                Overlay(delta, replaceOnlyPresent: true);
                _sawUsage = true;
            }
            if (_sawUsage) PartialUsage = Build();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
        }
        return true;
    }

    private void Overlay(JsonElement usage, bool replaceOnlyPresent)
    {
        void Take(string name, ref long field)
        {
            if (usage.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number) field = v.GetInt64();
            else if (!replaceOnlyPresent) field = 0;
        }
        Take("input_tokens", ref _input);
        Take("cache_read_input_tokens", ref _cacheRead);
        Take("cache_creation_input_tokens", ref _cacheWrite);
        Take("output_tokens", ref _output);
        if (usage.TryGetProperty("cache_creation", out var split) && split.ValueKind == JsonValueKind.Object)
        {
            _write5m = Int(split, "ephemeral_5m_input_tokens");
            _write1h = Int(split, "ephemeral_1h_input_tokens");
            _hasSplit = true;
        }
        // Server tools (web search, web fetch) are billed per request; like the token counts, a delta's figures are cumulative.
        if (usage.TryGetProperty("server_tool_use", out var tools) && tools.ValueKind == JsonValueKind.Object)
        {
            _webSearches = Int(tools, "web_search_requests");
            _webFetches = Int(tools, "web_fetch_requests");
        }
        else if (!replaceOnlyPresent)
        {
            _webSearches = _webFetches = 0;
        }
        if (usage.TryGetProperty("output_tokens_details", out var details) && details.ValueKind == JsonValueKind.Object)
            _thinking = Int(details, "thinking_tokens");
        if (usage.TryGetProperty("service_tier", out _)) Tier = ParseTier(usage);
    }

    private TokenUsage Build()
    {
        // Without the TTL split every cache write is a 5-minute write (REFERENCE 3.4).
        long w5 = _hasSplit ? _write5m : _cacheWrite, w1 = _hasSplit ? _write1h : 0;
        if (_hasSplit && w5 + w1 != _cacheWrite) w5 = Math.Max(0, _cacheWrite - w1);
        return new TokenUsage
        {
            UncachedInput = _input,
            CacheRead = _cacheRead,
            CacheWrite5m = w5,
            CacheWrite1h = w1,
            Output = _output,
            Reasoning = Math.Min(_thinking, _output),
            Tier = Tier,
            WebSearchCalls = _webSearches,
            WebFetchCalls = _webFetches,
        };
    }
}
