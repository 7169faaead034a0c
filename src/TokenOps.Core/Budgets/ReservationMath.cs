using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;

namespace TokenOps.Core.Budgets;

/// <summary>
/// The worst case a request can cost before it is sent: its input tokens at the input price plus every output token it
/// may generate at the output (or reasoning, if dearer) price, long-context tiers included. Rounded up to the nano-dollar.
/// </summary>
public static class ReservationMath
{
    /// <param name="toolCalls">Provider-side tool calls (web search, file search) the request may make, each at the dearest per-call price.</param>
    public static long WorstCaseNanos(ModelPrice price, long inputTokens, long maxOutputTokens, long toolCalls = 0)
    {
        if (!price.IsPriced) return 0;
        var tools = Math.Max(0, toolCalls) * CostCalculator.DearestToolCall(price);
        inputTokens = Math.Max(0, inputTokens);
        maxOutputTokens = Math.Max(0, maxOutputTokens);
        var plain = CostCalculator.Compute(price, new TokenUsage { UncachedInput = inputTokens, Output = maxOutputTokens }).Total;
        var reasoning = price.Reasoning is { } r && r > (price.Output ?? 0m)
            ? CostCalculator.Compute(price, new TokenUsage { UncachedInput = inputTokens, Output = maxOutputTokens, Reasoning = maxOutputTokens }).Total
            : plain;
        return CeilingNanos(Math.Max(plain, reasoning) + tools);
    }

    /// <summary>The largest output token limit whose worst case fits in <paramref name="availableNanos"/>; 0 when even the input does not fit.</summary>
    public static long MaxOutputThatFits(ModelPrice price, long inputTokens, long availableNanos, long upperBound, long toolCalls = 0)
    {
        if (WorstCaseNanos(price, inputTokens, 0, toolCalls) > availableNanos) return 0;
        long lo = 0, hi = Math.Max(0, upperBound);
        while (lo < hi)
        {
            var mid = lo + (hi - lo + 1) / 2;
            if (WorstCaseNanos(price, inputTokens, mid, toolCalls) <= availableNanos) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    public static long CeilingNanos(decimal usd) => (long)decimal.Ceiling(usd * 1_000_000_000m);
}
