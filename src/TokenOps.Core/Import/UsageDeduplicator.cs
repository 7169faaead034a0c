namespace TokenOps.Core.Import;

/// <summary>
/// Keeps one event per Claude message, with ccusage's rules (REFERENCE.md 2.3): the key is (message.id, requestId),
/// only when both exist; a sidechain copy collides with any event of the same message.id. On a collision the kept
/// event is the non-sidechain one, else the one with the larger token total, else the one with <c>usage.speed</c>
/// set; on a full tie the first seen stays. Events without a key are always kept.
/// Feed files in a fixed order for a deterministic result.
/// </summary>
public sealed class UsageDeduplicator
{
    private readonly List<UsageEvent> _events = [];
    private readonly Dictionary<ulong, int> _byPair = [];
    private readonly Dictionary<ulong, int> _byMessage = [];

    public int Duplicates { get; private set; }

    public IReadOnlyList<UsageEvent> Events => _events;

    public void Add(in UsageEvent e)
    {
        if (e.PairKey != 0 && _byPair.TryGetValue(e.PairKey, out var at))
        {
            Resolve(at, e);
            return;
        }
        if (e.MessageKey != 0 && _byMessage.TryGetValue(e.MessageKey, out var other)
            && (e.IsSidechain || _events[other].IsSidechain))
        {
            Resolve(other, e);
            if (e.PairKey != 0) _byPair[e.PairKey] = other;
            return;
        }
        var index = _events.Count;
        _events.Add(e);
        if (e.PairKey != 0) _byPair[e.PairKey] = index;
        if (e.MessageKey != 0 && (!_byMessage.TryGetValue(e.MessageKey, out var existing) || _events[existing].IsSidechain)) _byMessage[e.MessageKey] = index;
    }

    private void Resolve(int at, in UsageEvent candidate)
    {
        Duplicates++;
        if (Better(candidate, _events[at])) _events[at] = candidate;
    }

    /// <summary>True when <paramref name="a"/> should replace the kept <paramref name="b"/>.</summary>
    public static bool Better(in UsageEvent a, in UsageEvent b)
    {
        if (a.IsSidechain != b.IsSidechain) return !a.IsSidechain;
        if (a.TotalTokens != b.TotalTokens) return a.TotalTokens > b.TotalTokens;
        return a.Fast && !b.Fast;
    }
}
