using System.Text.Json;
using System.Text.Json.Nodes;

namespace TokenOps.Gateway.ResponseCache;

/// <summary>
/// Collects the provider's answer to a cacheable miss as the forward stage relays it: a JSON body whole, or a stream
/// event by event, assembled into the protocol's non-streamed response (<see cref="StreamAssembler"/>), so one stored
/// form replays as JSON or as SSE. What cannot be read, or a stream that never finished, leaves nothing to store.
/// </summary>
public sealed class AnswerCapture(string route, long maxBytes)
{
    private readonly StreamAssembler? _stream = StreamAssembler.For(route);
    private JsonObject? _json;
    private bool _broken;
    private long _bytes;

    public void OnJson(ReadOnlyMemory<byte> body)
    {
        if (body.Length > maxBytes) { _broken = true; return; }
        try
        {
            _json = JsonNode.Parse(body.Span) as JsonObject;
        }
        catch (Exception ex) when (Unreadable(ex))
        {
            _broken = true;
        }
    }

    public void OnEvent(ReadOnlySpan<byte> name, ReadOnlySpan<byte> data)
    {
        if (_broken || _stream is null) return;
        _bytes += data.Length;
        if (_bytes > maxBytes * 4) { _broken = true; return; } // a stream repeats its ids in every event: bound what is parsed
        if (data.SequenceEqual("[DONE]"u8)) return;
        try
        {
            if (JsonNode.Parse(data) is JsonObject e) _stream.Add(name.Length == 0 ? null : System.Text.Encoding.UTF8.GetString(name), e);
        }
        catch (Exception ex) when (Unreadable(ex))
        {
            _broken = true;
        }
    }

    /// <summary>The complete answer in the protocol's non-streamed form; null when there is none worth storing.</summary>
    public JsonObject? Answer()
    {
        if (_broken) return null;
        try
        {
            var answer = _json ?? _stream?.Assemble();
            return answer is not null && Completeness.IsComplete(route, answer) ? answer : null;
        }
        catch (Exception ex) when (Unreadable(ex))
        {
            return null;
        }
    }

    /// <summary>A field of an unexpected type (GetValue on a number), malformed JSON: the answer is not stored, the client is unaffected.</summary>
    private static bool Unreadable(Exception ex) => ex is JsonException or InvalidOperationException or FormatException;
}

/// <summary>Only whole, successful answers are stored: one that ended normally (or at its length limit) and carries its usage.</summary>
public static class Completeness
{
    public static bool IsComplete(string route, JsonObject answer)
    {
        if (answer["usage"] is not JsonObject) return false;
        return route switch
        {
            "openai.chat" => answer["choices"] is JsonArray { Count: > 0 } choices
                && choices.All(c => c?["finish_reason"]?.GetValue<string>() is { } reason && reason != "error"),
            "anthropic.messages" => answer["type"]?.GetValue<string>() == "message"
                && answer["stop_reason"]?.GetValue<string>() is { } stop && stop != "pause_turn",
            "openai.responses" => answer["status"]?.GetValue<string>() == "completed",
            _ => false,
        };
    }
}
