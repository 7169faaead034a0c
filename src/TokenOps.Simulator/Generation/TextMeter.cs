using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace TokenOps.Simulator.Generation;

/// <summary>
/// Counts "tokens" of request text (ceil(UTF-8 bytes / 4) per text fragment, decoded, so JSON escaping does not
/// matter) and folds every counted byte into an FNV-1a 64-bit hash, which seeds output lengths and cache choices.
/// </summary>
internal sealed class TextMeter
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    public long Tokens { get; private set; }

    public ulong Hash { get; private set; } = FnvOffset;

    /// <summary>
    /// <see cref="Hash"/> through the SplitMix64 finaliser: FNV-1a barely changes its upper bits when only the
    /// last bytes differ, so every decision (output length, cache read or write, text) uses this value.
    /// </summary>
    public ulong Mixed
    {
        get
        {
            var z = Hash;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    public void AddOverhead(int tokens) => Tokens += tokens;

    /// <summary>Adds bytes to the hash only (e.g. the model name).</summary>
    public void HashOnly(ReadOnlySpan<byte> bytes) => Fold(bytes);

    public void AddUtf8(ReadOnlySpan<byte> utf8)
    {
        Tokens += (utf8.Length + 3) / 4;
        Fold(utf8);
    }

    /// <summary>Adds a JSON string's decoded text.</summary>
    public void AddString(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length >= 2 && raw[0] == (byte)'"')
        {
            raw = raw[1..^1];
        }

        if (raw.IndexOf((byte)'\\') < 0)
        {
            AddUtf8(raw);
            return;
        }

        string text;
        try
        {
            text = value.GetString() ?? string.Empty;
        }
        catch (InvalidOperationException)
        {
            // A lone surrogate escape ("\ud800") is valid JSON that the providers' parsers accept; count its raw text.
            AddUtf8(raw);
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var n = Encoding.UTF8.GetBytes(text, rented);
            AddUtf8(rented.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Adds a JSON value's raw text (tool definitions, tool-call arguments given as objects).</summary>
    public void AddRawJson(JsonElement value) => AddUtf8(JsonMarshal.GetRawUtf8Value(value));

    /// <summary>
    /// Adds the text inside a message-like value: strings, and inside objects the properties that carry text
    /// (text, content, output, arguments, input, thinking, summary, tool_calls, function). Other properties
    /// (role, type, ids, image data) are not counted.
    /// </summary>
    public void AddContent(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                AddString(value);
                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    AddContent(item);
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    if (property.NameEquals("input"u8) || property.NameEquals("arguments"u8))
                    {
                        if (property.Value.ValueKind == JsonValueKind.Object)
                        {
                            AddRawJson(property.Value);
                        }
                        else
                        {
                            AddContent(property.Value);
                        }
                    }
                    else if (property.NameEquals("text"u8) || property.NameEquals("content"u8)
                        || property.NameEquals("output"u8) || property.NameEquals("thinking"u8)
                        || property.NameEquals("summary"u8) || property.NameEquals("tool_calls"u8)
                        || property.NameEquals("function"u8))
                    {
                        AddContent(property.Value);
                    }
                }

                break;
        }
    }

    private void Fold(ReadOnlySpan<byte> bytes)
    {
        var h = Hash;
        foreach (var b in bytes)
        {
            h = (h ^ b) * FnvPrime;
        }

        // Fragment separator, so ["ab","c"] and ["a","bc"] differ.
        Hash = (h ^ 0xFF) * FnvPrime;
    }
}
