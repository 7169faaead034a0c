namespace TokenOps.Core.RateLimits;

/// <summary>
/// Rate-limit counters in this process: each gateway replica enforces every limit on its own traffic. One lock makes a
/// check across several scopes atomic; it is held for a few dictionary operations only.
/// </summary>
public sealed class InProcessRateLimitCounters : IRateLimitCounters
{
    private readonly object _gate = new();
    private readonly Dictionary<(string Scope, long Window), WindowUsage> _windows = new();
    private readonly Dictionary<string, HashSet<string>> _inFlight = new(StringComparer.Ordinal);
    private readonly HashSet<string> _open = new(StringComparer.Ordinal);
    private long _prunedBefore;

    private sealed class WindowUsage
    {
        public long Requests;
        public long Tokens;
    }

    /// <summary>Leases taken and not yet released (for tests and diagnostics).</summary>
    public int OpenLeases
    {
        get { lock (_gate) return _open.Count; }
    }

    /// <summary>What a scope has used in the window <paramref name="now"/> falls in, and its requests in flight (diagnostics, tests).</summary>
    public (long Requests, long Tokens, int InFlight) Usage(string scope, DateTimeOffset now)
    {
        lock (_gate)
        {
            _windows.TryGetValue((scope, RateWindow.Of(now)), out var usage);
            return (usage?.Requests ?? 0, usage?.Tokens ?? 0, _inFlight.TryGetValue(scope, out var slots) ? slots.Count : 0);
        }
    }

    public ValueTask<RateLimitDecision> TryAcquireAsync(RateLimitAsk ask, CancellationToken cancellationToken = default)
    {
        var window = RateWindow.Of(ask.Now);
        lock (_gate)
        {
            Prune(window);
            foreach (var limit in ask.Limits)
            {
                if (Refuses(limit, window, ask, out var refusal)) return ValueTask.FromResult(new RateLimitDecision(null, refusal));
            }
            var tokenScopes = new List<string>();
            var slotScopes = new List<string>();
            foreach (var limit in ask.Limits)
            {
                var usage = Window(limit.Scope, window);
                usage.Requests++;
                usage.Tokens += ask.Tokens;
                tokenScopes.Add(limit.Scope);
                if (limit.Concurrent is not null)
                {
                    Slots(limit.Scope).Add(ask.LeaseId);
                    slotScopes.Add(limit.Scope);
                }
            }
            _open.Add(ask.LeaseId);
            return ValueTask.FromResult(new RateLimitDecision(new RateLimitLease(ask.LeaseId, window, ask.Tokens, [.. tokenScopes], [.. slotScopes]), null));
        }
    }

    public ValueTask ReleaseAsync(RateLimitLease lease, long actualTokens)
    {
        lock (_gate)
        {
            if (!_open.Remove(lease.Id)) return ValueTask.CompletedTask;
            var delta = actualTokens - lease.EstimatedTokens;
            foreach (var scope in lease.TokenScopes)
                if (_windows.TryGetValue((scope, lease.Window), out var usage)) usage.Tokens = Math.Max(0, usage.Tokens + delta);
            foreach (var scope in lease.ConcurrencyScopes)
                if (_inFlight.TryGetValue(scope, out var slots) && slots.Remove(lease.Id) && slots.Count == 0) _inFlight.Remove(scope);
        }
        return ValueTask.CompletedTask;
    }

    private bool Refuses(AppliedRateLimit limit, long window, RateLimitAsk ask, out RateLimitRefusal? refusal)
    {
        refusal = null;
        _windows.TryGetValue((limit.Scope, window), out var usage);
        if (limit.Concurrent is { } concurrent && (_inFlight.TryGetValue(limit.Scope, out var slots) ? slots.Count : 0) >= concurrent)
            // No window to wait for: a slot frees when any request of the scope ends; a second is the polite retry.
            refusal = new RateLimitRefusal(limit.Scope, RateLimitKind.Concurrent, concurrent, 1);
        else if (limit.RequestsPerMinute is { } rpm && (usage?.Requests ?? 0) + 1 > rpm)
            refusal = new RateLimitRefusal(limit.Scope, RateLimitKind.RequestsPerMinute, rpm, RateWindow.SecondsToEnd(ask.Now));
        else if (limit.TokensPerMinute is { } tpm && (usage?.Tokens ?? 0) + ask.Tokens > tpm)
            refusal = new RateLimitRefusal(limit.Scope, RateLimitKind.TokensPerMinute, tpm, RateWindow.SecondsToEnd(ask.Now));
        return refusal is not null;
    }

    private WindowUsage Window(string scope, long window)
    {
        if (!_windows.TryGetValue((scope, window), out var usage)) _windows[(scope, window)] = usage = new WindowUsage();
        return usage;
    }

    private HashSet<string> Slots(string scope)
    {
        if (!_inFlight.TryGetValue(scope, out var slots)) _inFlight[scope] = slots = new HashSet<string>(StringComparer.Ordinal);
        return slots;
    }

    /// <summary>
    /// Windows older than the previous one are dropped once per window. The previous one stays: a request admitted in it
    /// may still be correcting its tokens (a correction to a dropped window is moot, that window no longer limits anyone).
    /// </summary>
    private void Prune(long window)
    {
        if (window <= _prunedBefore) return;
        _prunedBefore = window;
        foreach (var key in _windows.Keys.Where(k => k.Window < window - 1).ToList()) _windows.Remove(key);
    }
}
