using System.Runtime.InteropServices;
using System.Text.Json;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols.Anthropic;

/// <summary>
/// Anthropic's <c>cache_control</c> markers: the checks the real API makes on them, and a tool definition's JSON without
/// its marker (a marker is not prompt text: adding one must not change what the tool counts).
/// </summary>
internal static class AnthropicCacheControl
{
    public const int MaxBreakpoints = 4;

    /// <summary>
    /// What the real API refuses with 400: more than <see cref="MaxBreakpoints"/> blocks with cache_control, a ttl other
    /// than "5m" or "1h", or a 1-hour breakpoint after a 5-minute one (longer TTLs must come first, in prompt order:
    /// tools, system, messages; a top-level cache_control marks the last block). Null when the markers are fine.
    /// </summary>
    public static string? Problem(JsonElement root)
    {
        var count = 0;
        var sawFiveMinutes = false;
        string? problem = null;

        void Check(JsonElement block)
        {
            if (problem is not null || block.ValueKind != JsonValueKind.Object || block.Prop("cache_control"u8) is not { } marker)
            {
                return;
            }

            if (marker.ValueKind != JsonValueKind.Object || marker.StringProp("type"u8) != "ephemeral")
            {
                problem = "cache_control: Input tag does not match the expected tag 'ephemeral'";
                return;
            }

            count++;
            var ttl = marker.Prop("ttl"u8);
            var oneHour = ttl is { ValueKind: JsonValueKind.String } t && t.ValueEquals("1h"u8);
            if (ttl is { } value && !oneHour && !(value.ValueKind == JsonValueKind.String && value.ValueEquals("5m"u8)))
            {
                problem = "cache_control.ttl: Input should be '5m' or '1h'";
            }
            else if (oneHour && sawFiveMinutes)
            {
                problem = "a cache_control block with ttl='1h' must not come after a cache_control block with ttl='5m'";
            }

            sawFiveMinutes |= !oneHour;
        }

        void CheckAll(JsonElement? items)
        {
            if (items is { ValueKind: JsonValueKind.Array } array)
            {
                foreach (var item in array.EnumerateArray())
                {
                    Check(item);
                }
            }
        }

        CheckAll(root.Prop("tools"u8));
        CheckAll(root.Prop("system"u8));
        if (root.Prop("messages"u8) is { ValueKind: JsonValueKind.Array } messages)
        {
            foreach (var message in messages.EnumerateArray())
            {
                CheckAll(message.Prop("content"u8));
            }
        }

        Check(root);
        if (problem is null && count > MaxBreakpoints)
        {
            problem = $"A maximum of {MaxBreakpoints} blocks with cache_control may be provided. Found {count}.";
        }

        return problem;
    }

    /// <summary>
    /// The raw JSON of an object without its top-level <c>cache_control</c> member (and the comma that separated it);
    /// the raw JSON itself when it has none.
    /// </summary>
    public static ReadOnlySpan<byte> WithoutMarker(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty("cache_control"u8, out _))
        {
            return raw;
        }

        var reader = new Utf8JsonReader(raw);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var start = (int)reader.TokenStartIndex;
            var isMarker = reader.ValueTextEquals("cache_control"u8);
            reader.Read();
            reader.Skip();
            if (!isMarker)
            {
                continue;
            }

            var end = (int)reader.BytesConsumed;
            var after = SkipSpace(raw, end, 1);
            if (after < raw.Length && raw[after] == (byte)',')
            {
                end = after + 1; // {"cache_control":{...}, "next": ...} -> { "next": ...}: what follows the comma stays
            }
            else
            {
                // The last member: take the comma before it (and the space around it) instead.
                var before = SkipSpace(raw, start - 1, -1);
                if (raw[before] == (byte)',')
                {
                    start = SkipSpace(raw, before - 1, -1) + 1;
                }
            }

            byte[] stripped = [.. raw[..start], .. raw[end..]];
            return stripped;
        }

        return raw;
    }

    /// <summary>The first index from <paramref name="at"/> (moving by <paramref name="step"/>) that is not JSON whitespace.</summary>
    private static int SkipSpace(ReadOnlySpan<byte> raw, int at, int step)
    {
        while (at > 0 && at < raw.Length && raw[at] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            at += step;
        }

        return at;
    }
}
