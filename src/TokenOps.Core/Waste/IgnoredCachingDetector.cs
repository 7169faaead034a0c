using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;

namespace TokenOps.Core.Waste;

/// <summary>
/// <c>ignored-caching</c>: the same stable prefix (tools and system prompt), at least the model's minimum cacheable
/// length, sent again within the cache's lifetime with no cache reads at all. Dollars: the prefix's tokens on each
/// repeat at the input rate minus the catalog's cache-read rate (the cache-write premium of the first request is not
/// subtracted: the figure is what reads would have saved).
/// </summary>
public sealed class IgnoredCachingDetector : IWasteDetector
{
    /// <summary>The shortest lifetime providers give a prompt cache (Anthropic's default, OpenAI's minimum): a repeat within it would have hit.</summary>
    public static readonly TimeSpan CacheTtl = TimeSpan.FromMinutes(5);
    /// <summary>The minimum providers cache when the catalog names none (OpenAI and most Anthropic models).</summary>
    public const long DefaultMinTokens = 1024;

    public string Name => WasteDetectors.IgnoredCaching;

    public IWasteScan Begin(WasteContext context) => new Scan(context);

    private sealed class Scan(WasteContext context) : IWasteScan
    {
        private readonly Dictionary<(long Prefix, string Model), DateTimeOffset> _lastSeen = [];
        private readonly Dictionary<string, ModelPrice?> _prices = [];
        private readonly Dictionary<(string? Person, string? Team, string Model), (List<string> Rows, decimal Wasted, long Tokens)> _found = [];

        public void Observe(LedgerEntry row)
        {
            if (row.PrefixHash is not { } prefix || row.ServedModel is not { } model || row.Outcome != LedgerOutcome.Ok) return;
            if (!_prices.TryGetValue(model, out var price)) _prices[model] = price = context.Price(model);
            if (price?.Input is not { } input || price.CacheRead is not { } read || read >= input) return;
            if (row.PrefixTokens < (price.PromptCacheMinTokens ?? DefaultMinTokens)) return;
            var key = (prefix, model);
            var repeat = _lastSeen.TryGetValue(key, out var last) && row.StartedAt - last <= CacheTtl;
            _lastSeen[key] = row.StartedAt;
            if (!repeat || row.Usage.CacheRead > 0 || row.Usage.CacheWrite5m + row.Usage.CacheWrite1h > 0) return;
            var tokens = Math.Min(row.PrefixTokens, row.Usage.UncachedInput);
            var saved = tokens * (input - read);
            var k = (row.Person, row.Team, model);
            var (rows, wasted, total) = _found.TryGetValue(k, out var f) ? f : ([], 0m, 0L);
            rows.Add(row.Id);
            _found[k] = (rows, wasted + saved, total + tokens);
        }

        public IEnumerable<WasteFinding> Complete() => _found.Select(kv =>
        {
            var price = _prices[kv.Key.Model]!;
            return new WasteFinding
            {
                Detector = WasteDetectors.IgnoredCaching, Person = kv.Key.Person, Team = kv.Key.Team, Rows = kv.Value.Rows, WastedUsd = kv.Value.Wasted,
                Formula = $"{kv.Value.Tokens} repeated prefix tokens over {kv.Value.Rows.Count} request(s) x (input ${price.Input * 1_000_000m:0.###}/M - cache read ${price.CacheRead * 1_000_000m:0.###}/M) = {WasteScanner.Usd(kv.Value.Wasted)}",
                Fix = $"Turn on prompt caching for {kv.Key.Model}: keep tools and the system prompt first and unchanged, add cache_control breakpoints (Anthropic) or a prompt_cache_key (OpenAI), or let the gateway add them (promptCache settings).",
                Subject = kv.Key.Model,
            };
        });
    }
}
