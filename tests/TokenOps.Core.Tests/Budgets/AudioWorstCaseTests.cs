using Xunit;
using TokenOps.Core.Budgets;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Tests.Pricing;

namespace TokenOps.Core.Tests.Budgets;

/// <summary>
/// The hold of an audio request: gpt-4o-mini-tts has an output token rate and a per-second rate in the catalog, and a
/// request is billed by one of them (tokens with usage, seconds without), so the hold covers the larger, not the sum.
/// </summary>
public sealed class AudioWorstCaseTests
{
    private static TokenUsage SpeechBound(long seconds) => new()
    {
        UncachedInput = 100, Output = 500, AudioOutput = 500, AudioMilliseconds = seconds * 1000, Characters = 90,
    };

    [Theory]
    // 100 input tokens at 2.5e-6 = 0.00025, then the larger of 500 audio tokens at 1.2e-5 (0.006) and the seconds at 0.00025.
    [InlineData(20, 6_250_000)]    // seconds 0.005 < tokens 0.006
    [InlineData(40, 10_250_000)]   // seconds 0.010 > tokens 0.006
    public void ASpeechModelPricedBothWays_HoldsTheLargerWayNotTheSum(long seconds, long expectedNanos)
    {
        var price = TestCatalog.Get("gpt-4o-mini-tts");
        Assert.NotNull(price.PerSecond);
        Assert.Equal(expectedNanos, ReservationMath.WorstCaseUnitsNanos(price, SpeechBound(seconds)));
    }

    [Theory]
    [InlineData(1, 30)]
    [InlineData(20, 480)]
    [InlineData(60, 2)]
    public void TheHold_CoversEitherWayTheRequestCanBeBilled(long seconds, long audioTokens)
    {
        var price = TestCatalog.Get("gpt-4o-mini-tts");
        var bound = SpeechBound(60);
        var hold = ReservationMath.WorstCaseUnitsNanos(price, bound);
        var withUsage = new TokenUsage { UncachedInput = 100, Output = audioTokens, AudioOutput = audioTokens };
        var estimated = new TokenUsage { UncachedInput = 100, AudioMilliseconds = seconds * 1000 };
        Assert.True(NanoUsd.FromUsd(CostCalculator.Compute(price, withUsage).Total) <= hold);
        Assert.True(NanoUsd.FromUsd(CostCalculator.Compute(price, estimated).Total) <= hold);
    }

    [Fact]
    public void ModelsPricedOneWay_KeepTheirBucket()
    {
        // tts-1 by characters (15e-6 each), gpt-4o-mini-transcribe in tokens only (its bound's seconds are not priced).
        Assert.Equal(90 * 15_000L, ReservationMath.WorstCaseUnitsNanos(TestCatalog.Get("tts-1"), SpeechBound(20)));
        var transcribe = TestCatalog.Get("gpt-4o-mini-transcribe");
        var bound = new TokenUsage { UncachedInput = 1000, AudioInput = 1000, Output = 200, AudioMilliseconds = 60_000 };
        Assert.Equal(NanoUsd.FromUsd(CostCalculator.Compute(transcribe, bound with { AudioMilliseconds = 0 }).Total),
            ReservationMath.WorstCaseUnitsNanos(transcribe, bound));
    }
}
