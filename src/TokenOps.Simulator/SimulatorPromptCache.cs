using TokenOps.Simulator.Generation;

namespace TokenOps.Simulator;

/// <summary>
/// The simulated provider's prompt cache: which prompt prefixes it has processed recently, per model, on the
/// simulator's clock (<see cref="SimulatorOptions.TimeProvider"/>). A prefix seen again within its TTL is a cache
/// read, and the read refreshes its TTL; the first time it is a write (Anthropic) or plain input (OpenAI). One per
/// simulator instance; the same sequence of requests on the same clock gives the same usage. The rules are on
/// <c>Generation/UsageRules.cs</c>.
/// </summary>
public sealed class SimulatorPromptCache(SimulatorOptions options)
{
    /// <summary>Anthropic's default TTL, and OpenAI's in-memory retention (5 to 10 minutes of inactivity: the lower bound).</summary>
    public static readonly TimeSpan FiveMinutes = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan OneHour = TimeSpan.FromHours(1);
    /// <summary>OpenAI's extended retention (<c>prompt_cache_retention: "24h"</c>).</summary>
    public static readonly TimeSpan OneDay = TimeSpan.FromHours(24);

    /// <summary>Anthropic looks for an earlier cached prefix at most this many content blocks before a breakpoint.</summary>
    public const int LookbackBlocks = 20;

    /// <summary>Anthropic's cache is one per organisation, not spread over machines.</summary>
    private const int AnthropicCache = -1;

    private readonly Dictionary<EntryKey, Entry> _entries = [];
    private readonly Queue<EntryKey> _insertions = new();
    private readonly Dictionary<RouteKey, RouteLoad> _routes = [];
    private readonly Lock _lock = new();

    /// <summary>Cached prefixes held (expired ones included until they are swept).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Forgets every cached prefix (and OpenAI's per-route load), as after a long idle time.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _entries.Clear();
            _insertions.Clear();
            _routes.Clear();
        }
    }

    /// <summary>
    /// An Anthropic request: <paramref name="blocks"/> are the ends of its content blocks in prompt order (tools, system,
    /// messages), <paramref name="breakpoints"/> the blocks marked with cache_control. A breakpoint whose prefix is
    /// shorter than <paramref name="minimum"/> caches nothing. The read is the longest prefix found cached at a
    /// breakpoint or up to <see cref="LookbackBlocks"/> blocks before one; the rest up to the last breakpoint is written,
    /// each segment at the TTL of the breakpoint that ends it.
    /// </summary>
    internal CacheUse Anthropic(string model, IReadOnlyList<PrefixMark> blocks, IReadOnlyList<CacheBreakpoint> breakpoints, int minimum)
    {
        var now = options.TimeProvider.GetUtcNow();
        lock (_lock)
        {
            Entry? hit = null;
            long read = 0;
            foreach (var breakpoint in breakpoints)
            {
                if (blocks[breakpoint.Block].Tokens < minimum)
                {
                    continue;
                }

                for (var i = breakpoint.Block; i >= Math.Max(0, breakpoint.Block - LookbackBlocks); i--)
                {
                    if (blocks[i].Tokens > read && Find(new EntryKey(model, AnthropicCache, blocks[i]), now) is { } entry)
                    {
                        (hit, read) = (entry, blocks[i].Tokens);
                        break;
                    }
                }
            }

            hit?.Refresh(now);
            long write5m = 0, write1h = 0, written = read;
            foreach (var breakpoint in breakpoints)
            {
                var end = blocks[breakpoint.Block].Tokens;
                if (end < minimum)
                {
                    continue;
                }

                var ttl = breakpoint.OneHour ? OneHour : FiveMinutes;
                if (end > written)
                {
                    if (breakpoint.OneHour)
                    {
                        write1h += end - written;
                    }
                    else
                    {
                        write5m += end - written;
                    }

                    written = end;
                }

                Store(new EntryKey(model, AnthropicCache, blocks[breakpoint.Block]), ttl, now);
            }

            return new CacheUse(read, write5m, write1h);
        }
    }

    /// <summary>
    /// An OpenAI request: <paramref name="steps"/> are its prefixes at 1,024 tokens and every 128 after, within the input.
    /// Each model's cache lives on <see cref="SimulatorOptions.PromptCacheMachines"/> machines. A request goes to the
    /// machine its route names (a hash of the first 256 tokens, <paramref name="route"/>, and the prompt_cache_key when
    /// given); past <see cref="SimulatorOptions.PromptCacheRouteRequestsPerMinute"/> requests in a clock minute a route
    /// overflows, and each further request goes to a machine picked by a hash of the route and its count. Returns the
    /// cached tokens: the longest step that machine holds; every step is then cached there (or refreshed) for
    /// <paramref name="ttl"/>.
    /// </summary>
    internal long OpenAI(string model, string? cacheKey, ulong route, IReadOnlyList<PrefixMark> steps, TimeSpan ttl)
    {
        if (steps.Count == 0)
        {
            return 0;
        }

        var now = options.TimeProvider.GetUtcNow();
        var routed = Mix(route ^ (cacheKey is null ? 0 : Fnv(cacheKey)));
        lock (_lock)
        {
            var requests = CountRequest(new RouteKey(model, routed), now);
            var spill = requests > options.PromptCacheRouteRequestsPerMinute ? Mix(routed + (ulong)requests) : routed;
            var machine = (int)(spill % (ulong)options.PromptCacheMachines);
            long cached = 0;
            for (var i = steps.Count - 1; i >= 0; i--)
            {
                if (Find(new EntryKey(model, machine, steps[i]), now) is not null)
                {
                    cached = steps[i].Tokens;
                    break;
                }
            }

            foreach (var step in steps)
            {
                Store(new EntryKey(model, machine, step), ttl, now);
            }

            return cached;
        }
    }

    private Entry? Find(EntryKey key, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.ExpiresAt > now)
        {
            return entry;
        }

        _entries.Remove(key);
        return null;
    }

    /// <summary>Caches a prefix, or refreshes it; an entry keeps the longest TTL it was ever written with.</summary>
    private void Store(EntryKey key, TimeSpan ttl, DateTimeOffset now)
    {
        if (Find(key, now) is { } entry)
        {
            if (ttl > entry.Ttl)
            {
                entry.Ttl = ttl;
            }

            entry.Refresh(now);
            return;
        }

        _entries[key] = new Entry(ttl, now + ttl);
        _insertions.Enqueue(key);
        if (_entries.Count > options.PromptCacheCapacity || _insertions.Count > 2 * options.PromptCacheCapacity)
        {
            Evict();
        }
    }

    /// <summary>This request's number among its route's requests in the current clock minute.</summary>
    private int CountRequest(RouteKey key, DateTimeOffset now)
    {
        var minute = now.ToUnixTimeSeconds() / 60;
        var load = _routes.TryGetValue(key, out var seen) && seen.Minute == minute ? seen with { Requests = seen.Requests + 1 } : new RouteLoad(minute, 1);
        _routes[key] = load;
        if (_routes.Count > options.PromptCacheCapacity)
        {
            foreach (var old in _routes.Where(r => r.Value.Minute < minute).Select(r => r.Key).ToList())
            {
                _routes.Remove(old);
            }
        }

        return load.Requests;
    }

    /// <summary>FNV-1a 64 of the UTF-8 text (stable across processes, unlike string.GetHashCode).</summary>
    private static ulong Fnv(string text)
    {
        var h = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(text))
        {
            h = (h ^ b) * 1099511628211UL;
        }

        return h;
    }

    /// <summary>SplitMix64's finaliser: spreads nearby values over the whole range.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// Over capacity: the oldest insertions go first, down to 90 % (a few at a time, so a benchmark that sends a new
    /// long prompt every request never waits on a sweep of the whole cache).
    /// </summary>
    private void Evict()
    {
        var target = options.PromptCacheCapacity * 9 / 10;
        while (_entries.Count > target && _insertions.TryDequeue(out var key))
        {
            _entries.Remove(key);
        }

        // Keys of entries that expired and were cached again are queued twice; keep the queue near the cache's size.
        if (_insertions.Count > 2 * options.PromptCacheCapacity)
        {
            _insertions.Clear();
            foreach (var key in _entries.Keys)
            {
                _insertions.Enqueue(key);
            }
        }
    }

    private readonly record struct EntryKey(string Model, int Machine, PrefixMark Prefix);

    private readonly record struct RouteKey(string Model, ulong Route);

    private readonly record struct RouteLoad(long Minute, int Requests);

    private sealed class Entry(TimeSpan ttl, DateTimeOffset expiresAt)
    {
        public TimeSpan Ttl { get; set; } = ttl;

        public DateTimeOffset ExpiresAt { get; private set; } = expiresAt;

        public void Refresh(DateTimeOffset now) => ExpiresAt = now + Ttl;
    }
}

/// <summary>A block marked with <c>cache_control</c>: its index among the request's content blocks, and its TTL.</summary>
internal readonly record struct CacheBreakpoint(int Block, bool OneHour);

/// <summary>What the prompt cache made of a request's input, in tokens (disjoint buckets).</summary>
internal readonly record struct CacheUse(long Read, long Write5m, long Write1h);
