using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;

namespace TokenOps.Core.Planning;

/// <summary>
/// "What would this period have cost on model M?": the same requests, the same token buckets (uncached input, cache
/// reads, 5-minute and 1-hour cache writes, output, reasoning, tool calls) on the same lane (standard, batch, flex,
/// priority), priced by <see cref="CostCalculator"/> at M's catalog rates. Prices are linear per bucket except the
/// long-context tier, which one request's total input chooses, so storage sums the buckets per size band
/// (<see cref="WhatIfQuery"/>) and each band is priced at its tier's rates: the same total as pricing every row.
/// When M counts tokens differently (<see cref="TokenCounts"/>), every bucket, the tier boundaries and the limits are
/// moved by the factor, which the report names.
/// </summary>
public sealed class WhatIfRepricer(PriceCatalog catalog)
{
    /// <summary>How many example request ids each gap names.</summary>
    public const int MaxExamples = 3;

    /// <summary>The ledger read for repricing onto <paramref name="target"/>: the band bounds of every source family.</summary>
    public static WhatIfQuery Query(ModelPrice target, DateTimeOffset from, DateTimeOffset until, string? team, string? model)
    {
        var to = TokenCounts.FamilyOf(target.Model);
        var input = new SortedSet<long>();
        var output = new SortedSet<long>();
        foreach (var family in TokenCounts.All)
        {
            var f = TokenCounts.Factor(family, to);
            foreach (var tier in target.LongContextTiers) input.Add(Bound(tier.ThresholdTokens, f));
            if (target.MaxInputTokens is { } window) input.Add(Bound(window, f));
            if (target.MaxOutputTokens is { } limit) output.Add(Bound(limit, f));
        }
        return new WhatIfQuery(from, until, team, model, [.. input], [.. output]);
    }

    // A row of n source tokens is n × f target tokens; n × f > limit ⇔ n > floor(limit / f) for whole n.
    private static long Bound(long limit, decimal factor) => (long)decimal.Floor(limit / factor);

    /// <exception cref="InvalidOperationException">The target has no per-token price.</exception>
    public WhatIfReport Reprice(ModelPrice target, WhatIfQuery query, IEnumerable<WhatIfCell> cells)
    {
        if (!target.IsPriced) throw new InvalidOperationException($"Model '{target.Model}' has no per-token price in the catalog.");
        var to = TokenCounts.FamilyOf(target.Model);
        var lines = new Dictionary<(string, string), WhatIfLine>();
        var gaps = new Dictionary<string, (string Detail, long Requests, List<string> Examples, bool Certain)>(StringComparer.Ordinal);
        var factors = new Dictionary<string, FactorUse>(StringComparer.Ordinal);
        void Gap(string reason, string detail, long requests, string? example, bool certain)
        {
            if (requests == 0) return;
            var g = gaps.TryGetValue(reason, out var known) ? known : (Detail: detail, Requests: 0L, Examples: new List<string>(), Certain: certain);
            if (example is not null && g.Examples.Count < MaxExamples && !g.Examples.Contains(example)) g.Examples.Add(example);
            gaps[reason] = (g.Detail, g.Requests + requests, g.Examples, g.Certain);
        }

        foreach (var c in cells)
        {
            var from = TokenCounts.FamilyOf(c.Model);
            var f = TokenCounts.Factor(from, to);
            if (from != to)
            {
                var use = factors.TryGetValue(from.Name, out var u) ? u : new FactorUse(from.Name, to.Name, f, $"{from.Basis}; {to.Basis}", 0);
                factors[from.Name] = use with { Requests = use.Requests + c.Requests };
            }
            // Any row of the band stands for all of them: its size in the target's tokens chooses the tier.
            var input = Representative(query.InputBounds, c.InputBand) * f;
            var output = Representative(query.OutputBounds, c.OutputBand) * f;
            var usage = new TokenUsage
            {
                UncachedInput = Scale(c.UncachedInput, f), CacheRead = Scale(c.CacheRead, f), CacheWrite5m = Scale(c.CacheWrite5m, f),
                CacheWrite1h = Scale(c.CacheWrite1h, f), Output = Scale(c.Output, f), Reasoning = Math.Min(Scale(c.Reasoning, f), Scale(c.Output, f)),
                Tier = c.Tier, WebSearchCalls = c.WebSearchCalls, FileSearchCalls = c.FileSearchCalls,
            };
            var cost = NanoUsd.FromUsd(CostCalculator.Compute(target, usage, (long)decimal.Ceiling(input)).Total);
            var key = (c.Team, c.Model);
            var line = lines.TryGetValue(key, out var l) ? l : new WhatIfLine(c.Team, c.Model, 0, 0, 0, f);
            lines[key] = line with { Requests = line.Requests + c.Requests, CurrentNanos = line.CurrentNanos + c.CostNanos, WhatIfNanos = line.WhatIfNanos + cost };

            if (target.MaxInputTokens is { } window && input > window)
                Gap("context-window", $"more input than {target.Model}'s {window:N0}-token context window (counted in its tokens)", c.Requests, c.Example, true);
            if (target.MaxOutputTokens is { } limit && output > limit)
                Gap("output-limit", $"more output than {target.Model}'s {limit:N0}-token output limit (counted in its tokens)", c.Requests, c.Example, true);
            if (!target.Capabilities.HasFlag(ModelCapabilities.Reasoning))
                Gap("reasoning", $"produced reasoning tokens; {target.Model} does not reason (supports_reasoning)", c.WithReasoning, c.ReasoningExample, true);
            var source = catalog.TryGet(c.Model, out var p) ? p.Capabilities : ModelCapabilities.None;
            foreach (var (flag, reason, field) in Features)
                if (source.HasFlag(flag) && !target.Capabilities.HasFlag(flag))
                    Gap(reason, $"on a model that supports {field}, which {target.Model} does not: the ledger cannot tell which of them used it", c.Requests, c.Example, false);
        }

        var ordered = lines.Values.OrderBy(l => l.Team, StringComparer.Ordinal).ThenByDescending(l => l.CurrentNanos).ThenBy(l => l.Model, StringComparer.Ordinal).ToList();
        var total = new WhatIfLine("", "", ordered.Sum(l => l.Requests), ordered.Sum(l => l.CurrentNanos), ordered.Sum(l => l.WhatIfNanos), 1m);
        return new WhatIfReport(target.Model, ordered, total,
            gaps.Select(g => new ServeGap(g.Key, g.Value.Detail, g.Value.Requests, g.Value.Examples, g.Value.Certain)).OrderByDescending(g => g.Certain).ThenBy(g => g.Reason, StringComparer.Ordinal).ToList(),
            factors.Values.OrderBy(f => f.FromFamily, StringComparer.Ordinal).ToList());
    }

    private static readonly (ModelCapabilities Flag, string Reason, string Field)[] Features =
    [
        (ModelCapabilities.Tools, "tool-calls", "tool calls (supports_function_calling)"),
        (ModelCapabilities.Images, "vision", "image input (supports_vision)"),
        (ModelCapabilities.JsonSchema, "response-schema", "a response schema (supports_response_schema)"),
    ];

    /// <summary>A size inside band k: 0 for the first band, else one more than the bound below it.</summary>
    private static long Representative(IReadOnlyList<long> bounds, int band) => band <= 0 ? 0 : bounds[Math.Min(band, bounds.Count) - 1] + 1;

    private static long Scale(long tokens, decimal factor) => factor == 1m ? tokens : (long)decimal.Round(tokens * factor, MidpointRounding.AwayFromZero);
}
