using System.Text.Json;
using TokenOps.Gateway.Metering;

namespace TokenOps.Gateway.Protocols.OpenAI.Audio;

/// <summary>
/// The audio endpoints stream data-only SSE events whose JSON names its own <c>type</c> (speech.audio.delta,
/// transcript.text.done, …): each is parsed once here and handed over by type; a malformed event is passed on untouched.
/// </summary>
internal abstract class AudioEventMeter : UsageMeter
{
    public sealed override bool OnEvent(ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String)
                OnTypedEvent(type, root, data);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
        }
        return true;
    }

    /// <summary>One event: its <paramref name="type"/>, the parsed event and its raw bytes.</summary>
    protected abstract void OnTypedEvent(JsonElement type, JsonElement root, ReadOnlySpan<byte> data);
}
