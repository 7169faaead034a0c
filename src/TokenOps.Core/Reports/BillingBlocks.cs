namespace TokenOps.Core.Reports;

/// <summary>A 5-hour billing window (or the idle gap between two), ccusage's <c>blocks</c>.</summary>
public sealed class BillingBlock
{
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }
    public DateTimeOffset? ActualEnd { get; set; }
    public bool IsGap { get; init; }
    public bool IsActive { get; set; }
    public int Entries => Totals.Requests;
    public UsageTotals Totals { get; } = new();
    public SortedDictionary<string, UsageTotals> Models { get; } = new(StringComparer.Ordinal);
    public DateTimeOffset? FirstEntry { get; set; }
    /// <summary>Active block only: tokens per minute (all buckets), tokens per minute of input+output, USD per hour.</summary>
    public BurnRate? Burn { get; set; }
    /// <summary>Active block only: where the block ends if the burn rate holds.</summary>
    public BlockProjection? Projection { get; set; }
}

public sealed record BurnRate(decimal TokensPerMinute, decimal TokensPerMinuteForIndicator, decimal CostPerHour);

public sealed record BlockProjection(long TotalTokens, decimal TotalCost, int RemainingMinutes);

/// <summary>
/// Splits usage into billing blocks: a block starts at its first request floored to the UTC hour and lasts
/// <c>length</c> (5 h); a request more than <c>length</c> after the block start, or after the previous request,
/// starts a new block, and an idle gap longer than <c>length</c> becomes a gap block. The block that holds the last
/// request is active while now is before its end and less than <c>length</c> after that request; it gets a burn rate
/// (tokens / minutes between its first and last request) and a projection to the block's end.
/// </summary>
public static class BillingBlocks
{
    public static IReadOnlyList<BillingBlock> Build(IEnumerable<PricedUsage> usage, DateTimeOffset now, TimeSpan? length = null)
    {
        var span = length ?? TimeSpan.FromHours(5);
        var sorted = usage.OrderBy(u => u.TimestampMs).ToList();
        var blocks = new List<BillingBlock>();
        BillingBlock? current = null;
        DateTimeOffset last = default;
        foreach (var u in sorted)
        {
            var t = DateTimeOffset.FromUnixTimeMilliseconds(u.TimestampMs);
            if (current is null || t - current.Start > span || t - last > span)
            {
                if (current is not null)
                {
                    current.ActualEnd = last;
                    if (t - last > span)
                    {
                        blocks.Add(new BillingBlock { Start = last + span, End = t, IsGap = true }); // ccusage: from the end of the last activity window to the next request
                    }
                }
                var start = new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, 0, 0, TimeSpan.Zero);
                current = new BillingBlock { Start = start, End = start + span, FirstEntry = t };
                blocks.Add(current);
            }
            current.Totals.Add(u);
            if (!current.Models.TryGetValue(u.Model, out var m)) current.Models[u.Model] = m = new UsageTotals();
            m.Add(u);
            last = t;
        }
        if (current is not null)
        {
            current.ActualEnd = last;
            current.IsActive = now - last < span && now < current.End;
            if (current.IsActive) Project(current, last, now);
        }
        return blocks;
    }

    private static void Project(BillingBlock block, DateTimeOffset last, DateTimeOffset now)
    {
        var minutes = (decimal)(last - block.FirstEntry!.Value).TotalMinutes;
        if (minutes <= 0) return;
        var t = block.Totals;
        var perMinute = t.TotalTokens / minutes;
        var costPerMinute = t.Cost / minutes;
        block.Burn = new BurnRate(perMinute, (t.Input + t.Output) / minutes, costPerMinute * 60m);
        var remaining = (int)Math.Max(0, Math.Round((block.End - now).TotalMinutes));
        block.Projection = new BlockProjection(
            t.TotalTokens + (long)Math.Round(perMinute * remaining),
            t.Cost + costPerMinute * remaining,
            remaining);
    }
}
