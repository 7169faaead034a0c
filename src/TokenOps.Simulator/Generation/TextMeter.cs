using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace TokenOps.Simulator.Generation;

/// <summary>
/// Counts "tokens" of request text (ceil(UTF-8 bytes / 4) per text fragment, decoded, so JSON escaping does not
/// matter) and folds every counted byte into an FNV-1a 64-bit hash, which seeds output lengths and names cached
/// prefixes. With <see cref="TrackSteps"/> it also records the hash of the input at fixed token positions (OpenAI's
/// prompt cache works on prefixes in 128-token steps), cutting a fragment at 4 bytes a token where a step falls inside it.
/// </summary>
internal sealed class TextMeter
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    private List<PrefixMark>? _steps;
    private long _nextStep = long.MaxValue;
    private long _firstStep;
    private long _stepSize;

    public long Tokens { get; private set; }

    /// <summary>The prefix hashes recorded at each step (ascending), once <see cref="TrackSteps"/> was called.</summary>
    public IReadOnlyList<PrefixMark> Steps => _steps ?? (IReadOnlyList<PrefixMark>)[];

    /// <summary>
    /// Records the hash of the input counted so far at <paramref name="route"/> tokens, then at <paramref name="first"/>,
    /// first + step, first + 2 step, ... Call before anything is counted.
    /// </summary>
    public void TrackSteps(long route, long first, long step)
    {
        _steps = [];
        _firstStep = first;
        _stepSize = step;
        _nextStep = route;
    }

    /// <summary>The current position and hash: where a cacheable block ends.</summary>
    public PrefixMark Mark() => new(Tokens, Hash);

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

    public void AddOverhead(int tokens)
    {
        // Steps inside an overhead run (message framing) take the hash as it stands; the position tells them apart.
        while (Tokens + tokens >= _nextStep)
        {
            RecordStep(Hash);
        }

        Tokens += tokens;
    }

    /// <summary>Adds bytes to the hash only (e.g. the model name).</summary>
    public void HashOnly(ReadOnlySpan<byte> bytes) => Fold(bytes);

    public void AddUtf8(ReadOnlySpan<byte> utf8)
    {
        var tokens = (utf8.Length + 3) / 4;
        if (Tokens + tokens >= _nextStep)
        {
            FoldWithSteps(utf8, tokens);
            return;
        }

        Tokens += tokens;
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
        // Fragment separator, so ["ab","c"] and ["a","bc"] differ.
        Hash = (FoldBytes(Hash, bytes) ^ 0xFF) * FnvPrime;
    }

    private static ulong FoldBytes(ulong h, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            h = (h ^ b) * FnvPrime;
        }

        return h;
    }

    /// <summary>Folds a fragment in pieces, recording the hash at each step inside it (before the fragment separator).</summary>
    private void FoldWithSteps(ReadOnlySpan<byte> utf8, int tokens)
    {
        var h = Hash;
        var done = 0;
        while (Tokens + tokens >= _nextStep)
        {
            var cut = (int)Math.Min(utf8.Length, (_nextStep - Tokens) * 4);
            h = FoldBytes(h, utf8[done..cut]);
            done = cut;
            RecordStep(h);
        }

        Tokens += tokens;
        Hash = (FoldBytes(h, utf8[done..]) ^ 0xFF) * FnvPrime;
    }

    private void RecordStep(ulong hash)
    {
        _steps!.Add(new PrefixMark(_nextStep, hash));
        _nextStep = _nextStep < _firstStep ? _firstStep : _nextStep + _stepSize;
    }
}

/// <summary>A prefix of the counted input: its length in tokens and the hash of everything counted up to there.</summary>
internal readonly record struct PrefixMark(long Tokens, ulong Hash);
