using System.Text;
using System.Text.Json;
using TokenOps.Core.Metering;

namespace TokenOps.Gateway.Metering;

/// <summary>
/// Reads a provider response as it passes through (a JSON body, or SSE events one at a time) and keeps what the
/// ledger needs: the provider's usage, its response id, and enough generated text to estimate usage if none arrives.
/// One instance per request; protocol subclasses know where each protocol puts these.
/// </summary>
public abstract class UsageMeter
{
    private const int MaxEstimateChars = 1 << 20;
    private readonly StringBuilder _generated = new();

    public TokenUsage? Usage { get; protected set; }
    public string? ProviderRequestId { get; protected set; }
    public ServiceTier Tier { get; protected set; } = ServiceTier.Standard;

    /// <summary>The stream reached the event after which nothing billable follows; settle before forwarding it.</summary>
    public bool IsTerminal { get; protected set; }

    /// <summary>Provider-reported input usage seen before the end (Anthropic message_start), for partial estimates.</summary>
    public TokenUsage? PartialUsage { get; protected set; }

    /// <summary>Text generated so far (bounded), for the tokenizer estimate of an interrupted stream.</summary>
    public string GeneratedText => _generated.ToString();

    /// <summary>Reads a complete non-streaming JSON response body.</summary>
    public abstract void OnJson(ReadOnlySpan<byte> body);

    /// <summary>Reads one SSE event; returns false when the event must not reach the client.</summary>
    public abstract bool OnEvent(ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> data);

    protected void AppendGenerated(string? text)
    {
        if (text is not null && _generated.Length < MaxEstimateChars) _generated.Append(text);
    }

    /// <summary>Appends the string values of the named properties found anywhere in <paramref name="json"/>.</summary>
    protected void AppendStrings(ReadOnlySpan<byte> json, ReadOnlySpan<byte> propertyA, ReadOnlySpan<byte> propertyB)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName) continue;
                var wanted = reader.ValueTextEquals(propertyA) || reader.ValueTextEquals(propertyB);
                if (!reader.Read()) break;
                if (wanted && reader.TokenType == JsonTokenType.String) AppendGenerated(reader.GetString());
            }
        }
        catch (JsonException)
        {
            // A malformed event carries no text we can trust; the caller decides what to do with the event itself.
        }
    }

    protected static ServiceTier ParseTier(JsonElement parent)
    {
        if (!parent.TryGetProperty("service_tier", out var t) || t.ValueKind != JsonValueKind.String) return ServiceTier.Standard;
        return t.GetString() switch
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
