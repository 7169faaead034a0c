namespace TokenOps.Core.Routing;

/// <summary>
/// Session pins in this process: bounded (past <c>capacity</c>, expired pins go first, else the least recently used
/// tenth, amortised), each living <c>ttl</c> after its last use.
/// </summary>
public sealed class InProcessSessionPins(TimeSpan ttl, int capacity) : ISessionPins
{
    private sealed record Entry(SessionPin Pin, DateTimeOffset LastUsed);

    private readonly Dictionary<string, Entry> _pins = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public int Count
    {
        get { lock (_gate) return _pins.Count; }
    }

    public ValueTask<SessionPin> PinAtLeastAsync(string router, string session, SessionPin offered, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var key = router + "\n" + session;
        lock (_gate)
        {
            var pin = _pins.TryGetValue(key, out var entry) && now - entry.LastUsed <= ttl && entry.Pin.Rank > offered.Rank ? entry.Pin : offered;
            if (entry is null && _pins.Count >= capacity) Evict(now);
            _pins[key] = new Entry(pin, now);
            return ValueTask.FromResult(pin);
        }
    }

    private void Evict(DateTimeOffset now)
    {
        var gone = _pins.Where(p => now - p.Value.LastUsed > ttl).Select(p => p.Key).ToList();
        if (gone.Count == 0) gone = _pins.OrderBy(p => p.Value.LastUsed).Take(Math.Max(1, _pins.Count / 10)).Select(p => p.Key).ToList();
        foreach (var key in gone) _pins.Remove(key);
    }
}
