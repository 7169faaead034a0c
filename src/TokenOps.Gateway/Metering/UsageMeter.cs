using System.Buffers;
using TokenOps.Core.Buffers;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Metering;

namespace TokenOps.Gateway.Metering;

/// <summary>
/// Reads a provider response as it passes through (a JSON body, or SSE events one at a time) and keeps what the
/// ledger needs: the provider's usage, its response id, and enough generated text to estimate usage if none arrives.
/// One instance per request; protocol subclasses know where each protocol puts these.
/// </summary>
public abstract class UsageMeter : IDisposable
{
    private const int MaxEstimateChars = 1 << 20;
    private const int MaxKeptBytes = 4 << 20;
    private StringBuilder? _generated;
    // Stream events that carry generated text are kept raw and only parsed if an estimate is ever needed (an
    // interrupted stream or one without usage): copying ~150 bytes per event is far cheaper than parsing each one.
    // The copy goes to a pooled buffer: a growing fresh array (allocated, zeroed, copied on each doubling) was 3 %
    // of the gateway's CPU on streams.
    private byte[]? _kept;
    private int _keptLength;
    private List<(int Start, int Length, TextFields Fields)>? _keptEvents;

    public TokenUsage? Usage { get; protected set; }
    public string? ProviderRequestId { get; protected set; }
    public ServiceTier Tier { get; protected set; } = ServiceTier.Standard;
    /// <summary>Why the answer stopped, as the provider said it (stop, length, tool_calls, end_turn, max_tokens, ...).</summary>
    public string? FinishReason { get; protected set; }
    /// <summary>Tool calls in the answer (function calls, tool_use blocks).</summary>
    public int ToolCallCount { get; protected set; }

    /// <summary>The stream reached the event after which nothing billable follows; settle before forwarding it.</summary>
    public bool IsTerminal { get; protected set; }

    /// <summary>Provider-reported input usage seen before the end (Anthropic message_start), for partial estimates.</summary>
    public TokenUsage? PartialUsage { get; protected set; }

    /// <summary>Text generated so far (bounded), for the tokenizer estimate of an interrupted stream.</summary>
    public string GeneratedText
    {
        get
        {
            if (_keptEvents is { Count: > 0 })
            {
                foreach (var (start, length, fields) in _keptEvents)
                    ParseStrings(_kept.AsSpan(start, length), fields);
                _keptEvents.Clear();
            }
            return _generated?.ToString() ?? "";
        }
    }

    /// <summary>Bytes of generated-text events kept so far: the size an estimate of last resort works from.</summary>
    public long GeneratedBytes => _keptLength + (_generated?.Length ?? 0);

    /// <summary>
    /// The estimate when the provider reported no usage, from the tokenizer's count of the prompt and of the generated
    /// text; a meter that knows more (an audio file's duration, the characters sent to speech) completes or replaces it.
    /// </summary>
    public virtual TokenUsage CompleteEstimate(TokenUsage textEstimate) => textEstimate;

    /// <summary>Reads a complete non-streaming JSON response body.</summary>
    public abstract void OnJson(ReadOnlyMemory<byte> body);

    /// <summary>Reads one SSE event; returns false when the event must not reach the client.</summary>
    public abstract bool OnEvent(ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> data);

    protected void AppendGenerated(string? text)
    {
        _generated ??= new StringBuilder();
        if (text is not null && _generated.Length < MaxEstimateChars) _generated.Append(text);
    }

    /// <summary>Every string under <paramref name="answer"/> (a whole answer that came without usage) counts towards the estimate.</summary>
    protected void CollectGenerated(System.Text.Json.JsonElement answer)
    {
        var text = new StringBuilder();
        TokenOps.Gateway.Protocols.JsonFields.CollectText(answer, text);
        AppendGenerated(text.ToString());
    }

    /// <summary>Keeps <paramref name="json"/> so that the string values of <paramref name="fields"/> count towards an estimate.</summary>
    protected void AppendStrings(ReadOnlySpan<byte> json, TextFields fields)
    {
        var needed = _keptLength + json.Length;
        if (needed > MaxKeptBytes) return;
        _kept ??= ArrayPool<byte>.Shared.Rent(Math.Max(needed, 16 * 1024));
        if (needed > _kept.Length) PooledBuffer.Grow(ref _kept, _keptLength, needed);
        (_keptEvents ??= new(64)).Add((_keptLength, json.Length, fields));
        json.CopyTo(_kept.AsSpan(_keptLength));
        _keptLength = needed;
    }

    /// <summary>Returns the pooled buffer; the meter must not be read afterwards (the pipeline disposes it after settling).</summary>
    public void Dispose()
    {
        if (_kept is null) return;
        ArrayPool<byte>.Shared.Return(_kept);
        _kept = null;
        _keptLength = 0;
        _keptEvents?.Clear();
    }

    private void ParseStrings(ReadOnlySpan<byte> json, TextFields fields)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName) continue;
                var wanted = fields.Matches(ref reader);
                if (!reader.Read()) break;
                if (wanted && reader.TokenType == JsonTokenType.String) AppendGenerated(reader.GetString());
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // A malformed event (or a lone surrogate escape) carries no text we can trust; the caller decides what to do
            // with the event itself, and the estimate counts what was read before it.
        }
    }

    protected static ServiceTier ParseTier(JsonElement parent)
    {
        if (!parent.TryGetProperty("service_tier", out var t) || t.ValueKind != JsonValueKind.String) return ServiceTier.Standard;
        return TokenOps.Gateway.Protocols.JsonText.SafeString(t) switch
        {
            "flex" => ServiceTier.Flex,
            "priority" or "fast" => ServiceTier.Priority,
            "batch" => ServiceTier.Batch,
            _ => ServiceTier.Standard,
        };
    }

    protected static long Int(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    protected static JsonElement Child(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) ? v : default;
}

/// <summary>The JSON property names whose string values are generated text in one kind of stream event.</summary>
public sealed class TextFields(params string[] names)
{
    private readonly byte[][] _names = names.Select(Encoding.UTF8.GetBytes).ToArray();

    internal bool Matches(ref Utf8JsonReader reader)
    {
        foreach (var name in _names)
            if (reader.ValueTextEquals(name)) return true;
        return false;
    }
}
