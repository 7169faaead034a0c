using FsCheck;
using FsCheck.Xunit;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using Xunit;

namespace TokenOps.Core.Tests.Pricing;

/// <summary>
/// Invariants over every priced catalog model and every service tier. Token counts stay below 8,000 per bucket
/// (total input &lt; 32,000, the lowest long-context threshold in the catalog) so no threshold is crossed.
/// </summary>
public sealed class CostCalculatorPropertyTests
{
    private const int BucketMax = 8_000;

    private static readonly ServiceTier[] Tiers = Enum.GetValues<ServiceTier>();

    [Property(MaxTest = 500)]
    public bool Cost_IsMonotoneInEveryBucket(NonNegativeInt model, NonNegativeInt tier, NonNegativeInt[] counts, PositiveInt delta)
    {
        var price = Pick(model);
        var usage = Usage(counts, tier);
        var d = delta.Get % BucketMax + 1;
        var before = CostCalculator.Compute(price, usage).Total;
        TokenUsage[] grown =
        [
            usage with { UncachedInput = usage.UncachedInput + d },
            usage with { CacheRead = usage.CacheRead + d },
            usage with { CacheWrite5m = usage.CacheWrite5m + d },
            usage with { CacheWrite1h = usage.CacheWrite1h + d },
            usage with { Output = usage.Output + d },
            usage with { Output = usage.Output + d, Reasoning = usage.Reasoning + d }, // more reasoning tokens
        ];
        return grown.All(g => CostCalculator.Compute(price, g).Total >= before);
    }

    [Property(MaxTest = 500)]
    public bool CachedTokens_AreNeverChargedTwice(NonNegativeInt model, NonNegativeInt[] counts, NonNegativeInt moved)
    {
        var price = Pick(model);
        var cacheReadRate = price.CacheRead ?? price.Input!.Value;
        if (cacheReadRate > price.Input)
        {
            return true; // no such model in the catalog today; the property only holds where reading is not dearer
        }

        var usage = Usage(counts, ServiceTier.Standard);
        var n = Math.Min(moved.Get % BucketMax, usage.UncachedInput);
        var shifted = usage with { UncachedInput = usage.UncachedInput - n, CacheRead = usage.CacheRead + n };

        var before = CostCalculator.Compute(price, usage);
        var after = CostCalculator.Compute(price, shifted);
        return after.Total <= before.Total
            && after.CacheRead == shifted.CacheRead * cacheReadRate
            && after.UncachedInput == shifted.UncachedInput * price.Input!.Value;
    }

    [Property(MaxTest = 300)]
    public bool Total_IsTheSumOfTheBuckets(NonNegativeInt model, NonNegativeInt tier, NonNegativeInt[] counts)
    {
        var cost = CostCalculator.Compute(Pick(model), Usage(counts, tier));
        var sum = cost.UncachedInput + cost.CacheRead + cost.CacheWrite5m + cost.CacheWrite1h + cost.Output + cost.Reasoning;
        return cost.Total == sum
            && cost.UncachedInput >= 0 && cost.CacheRead >= 0 && cost.CacheWrite5m >= 0
            && cost.CacheWrite1h >= 0 && cost.Output >= 0 && cost.Reasoning >= 0;
    }

    [Property(MaxTest = 300)]
    public bool Cost_IsNeverNegative_EvenForNegativeOrHugeCounts(NonNegativeInt model, NonNegativeInt tier, int a, int b, int c, int d, int e, int f)
    {
        var usage = new TokenUsage
        {
            UncachedInput = a, CacheRead = b, CacheWrite5m = c, CacheWrite1h = d, Output = e, Reasoning = f,
            Tier = Tiers[tier.Get % Tiers.Length],
        };
        var cost = CostCalculator.Compute(Pick(model), usage);
        return cost.Total >= 0 && cost.Reasoning >= 0 && cost.Output >= 0;
    }

    [Fact]
    public void ZeroUsage_CostsZero_ForEveryPricedModelAndTier()
    {
        foreach (var price in TestCatalog.Priced)
        {
            foreach (var tier in Tiers)
            {
                var cost = CostCalculator.Compute(price, TokenUsage.Zero with { Tier = tier });
                Assert.Equal(CostBreakdown.Zero, cost);
            }
        }
    }

    private static ModelPrice Pick(NonNegativeInt index) => TestCatalog.Priced[index.Get % TestCatalog.Priced.Length];

    private static TokenUsage Usage(NonNegativeInt[]? counts, NonNegativeInt tier) =>
        Usage(counts, Tiers[tier.Get % Tiers.Length]);

    private static TokenUsage Usage(NonNegativeInt[]? counts, ServiceTier tier)
    {
        long At(int i) => counts is not null && i < counts.Length ? counts[i].Get * 7919L % BucketMax : 0; // spread small generated ints
        var output = At(4);
        return new TokenUsage
        {
            UncachedInput = At(0),
            CacheRead = At(1),
            CacheWrite5m = At(2),
            CacheWrite1h = At(3),
            Output = output,
            Reasoning = output == 0 ? 0 : At(5) % (output + 1),
            Tier = tier,
        };
    }
}
