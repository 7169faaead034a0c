using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Generation;

/// <summary>
/// Deterministic filler text: word i of a response is picked by an xorshift sequence seeded by the request hash.
/// Word 0 is bare, later words carry a leading space, so concatenating the stream deltas gives the full text.
/// </summary>
internal struct TextGenerator(ulong seed)
{
    private static readonly byte[][] Words =
    [
        .. new[]
        {
            "the", "token", "budget", "model", "cost", "team", "gateway", "cache", "prompt", "answer",
            "stream", "usage", "price", "ledger", "request", "response", "simulated", "provider", "metered", "output",
            "input", "latency", "policy", "route", "spend", "forecast", "quarter", "invoice", "allocation", "pool",
            "is", "a", "of", "and", "to", "in", "for", "with", "on", "by",
            "fast", "cheap", "exact", "fair", "clear", "small", "large", "steady", "careful", "simple",
            "counts", "reads", "writes", "sends", "bills", "tracks", "keeps", "turns", "saves", "shows",
            "every", "each", "one", "more",
        }.Select(w => System.Text.Encoding.UTF8.GetBytes(w)),
    ];

    /// <summary>Longest word plus a leading space and a full stop.</summary>
    public const int MaxWordBytes = 16;

    private ulong _state = seed ^ 0x9E3779B97F4A7C15UL | 1;
    private int _index;

    /// <summary>Writes the next word (with its leading space, and a final full stop when <paramref name="last"/>).</summary>
    public int NextWord(Span<byte> destination, bool last)
    {
        _state ^= _state << 13;
        _state ^= _state >> 7;
        _state ^= _state << 17;
        var word = Words[(int)(_state % (ulong)Words.Length)];
        var n = 0;
        if (_index++ > 0)
        {
            destination[n++] = (byte)' ';
        }

        word.CopyTo(destination[n..]);
        n += word.Length;
        if (last)
        {
            destination[n++] = (byte)'.';
        }

        return n;
    }

    /// <summary>The whole text of <paramref name="words"/> words.</summary>
    public static void WriteAll(ulong seed, int words, PooledBufferWriter destination)
    {
        var generator = new TextGenerator(seed);
        for (var i = 0; i < words; i++)
        {
            var span = destination.GetSpan(MaxWordBytes);
            destination.Advance(generator.NextWord(span, i == words - 1));
        }
    }
}
