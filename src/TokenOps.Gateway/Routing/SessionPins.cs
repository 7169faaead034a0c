namespace TokenOps.Gateway.Routing;

/// <summary>
/// The model each conversation was given, per router, so later turns stay on it (provider prompt caches are per model):
/// a turn may escalate to a stronger candidate, which then becomes the pin, but never steps down. Bounded: pins expire
/// after a quiet period, and past the size bound the least recently used go. Per replica; a conversation whose turns
/// land on several replicas is pinned on each by the same rule, from the same scores.
/// </summary>
public sealed class SessionPins(TimeProvider time, TimeSpan ttl, int capacity)
{
    private sealed record Pin(string Model, int Rank, DateTimeOffset LastUsed);

    private readonly Dictionary<string, Pin> _pins = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public int Count
    {
        get { lock (_gate) return _pins.Count; }
    }

    /// <summary>The pinned model and its rank among the router's candidates (0 = cheapest), if the session has a live pin.</summary>
    public (string Model, int Rank)? Get(string router, string session)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (!_pins.TryGetValue(Key(router, session), out var pin)) return null;
            if (now - pin.LastUsed > ttl)
            {
                _pins.Remove(Key(router, session));
                return null;
            }
            return (pin.Model, pin.Rank);
        }
    }

    public void Set(string router, string session, string model, int rank)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_pins.Count >= capacity && !_pins.ContainsKey(Key(router, session))) EvictOldest(now);
            _pins[Key(router, session)] = new Pin(model, rank, now);
        }
    }

    private static string Key(string router, string session) => router + "\n" + session;

    /// <summary>Drops expired pins, and if none had expired the least recently used tenth: amortised, not per request.</summary>
    private void EvictOldest(DateTimeOffset now)
    {
        var expired = _pins.Where(p => now - p.Value.LastUsed > ttl).Select(p => p.Key).ToList();
        if (expired.Count == 0)
            expired = _pins.OrderBy(p => p.Value.LastUsed).Take(Math.Max(1, _pins.Count / 10)).Select(p => p.Key).ToList();
        foreach (var key in expired) _pins.Remove(key);
    }
}
