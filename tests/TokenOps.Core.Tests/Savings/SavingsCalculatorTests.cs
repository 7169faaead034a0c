using Xunit;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;

namespace TokenOps.Core.Tests.Savings;

public class SavingsCalculatorTests
{
    // $ per token: input, output, cache read, cache write (5 minutes).
    private static ModelPrice Price(string model, decimal input, decimal output, decimal cacheRead = 0, decimal cacheWrite = 0) =>
        new() { Model = model, Provider = "test", Input = input, Output = output, CacheRead = cacheRead, CacheWrite5m = cacheWrite };

    private static readonly ModelPrice Strong = Price("strong", 0.000010m, 0.000040m, 0.000001m, 0.0000125m);
    private static readonly ModelPrice Cheap = Price("cheap", 0.000001m, 0.000004m, 0.0000001m, 0.00000125m);
    private static readonly ModelPrice Mid = Price("mid", 0.000005m, 0.000020m, 0.0000005m, 0.00000625m);

    private static readonly TokenUsage Plain = new() { UncachedInput = 1000, Output = 200 };

    [Fact]
    public void Nothing_applied_saves_nothing()
    {
        var cost = CostCalculator.Compute(Cheap, Plain);
        Assert.Same(SavingsBreakdown.Zero, SavingsCalculator.Compute(Plain, Cheap, cost, SavingsInputs.None));
        Assert.Null(SavingsCalculator.LeverNames(SavingsInputs.None));
    }

    [Fact]
    public void Routed_is_the_same_tokens_on_the_asked_model_minus_the_routed_cost()
    {
        var cost = CostCalculator.Compute(Cheap, Plain);
        var savings = SavingsCalculator.Compute(Plain, Cheap, cost, new SavingsInputs(AskedPrice: Strong, RoutedPrice: Cheap));
        // strong: 1000 × 10 µ$ + 200 × 40 µ$ = 0.018; cheap: 0.0018
        Assert.Equal(0.0162m, savings.Routed);
        Assert.Equal(0.0162m, savings.Total);
        Assert.Equal(0m, savings.Degraded);
        Assert.Equal("routed", SavingsCalculator.LeverNames(new SavingsInputs(AskedPrice: Strong, RoutedPrice: Cheap)));
    }

    [Fact]
    public void Routed_then_degraded_splits_the_saving_between_the_two_levers_and_they_add_up()
    {
        var cost = CostCalculator.Compute(Cheap, Plain);
        var inputs = new SavingsInputs(AskedPrice: Strong, RoutedPrice: Mid, Degraded: true);
        var savings = SavingsCalculator.Compute(Plain, Cheap, cost, inputs);
        Assert.Equal(0.018m - 0.009m, savings.Routed);
        Assert.Equal(0.009m - 0.0018m, savings.Degraded);
        Assert.Equal(0.018m, cost.Total + savings.Total);
        Assert.Equal("routed,degraded", SavingsCalculator.LeverNames(inputs));
    }

    [Fact]
    public void Cache_breakpoints_save_what_the_cached_tokens_would_have_cost_as_plain_input()
    {
        var usage = new TokenUsage { UncachedInput = 100, CacheRead = 5000, CacheWrite5m = 1000, Output = 50 };
        var cost = CostCalculator.Compute(Strong, usage);
        var savings = SavingsCalculator.Compute(usage, Strong, cost, new SavingsInputs(CacheBreakpointsAdded: true));
        var plain = CostCalculator.Compute(Strong, usage with { UncachedInput = 6100, CacheRead = 0, CacheWrite5m = 0 }).Total;
        Assert.Equal(plain - cost.Total, savings.CacheBreakpoint);
        Assert.True(savings.CacheBreakpoint > 0);
    }

    [Fact]
    public void A_cache_write_without_a_read_is_a_negative_saving()
    {
        // The first turn pays the write premium: the lever cost money on this row.
        var usage = new TokenUsage { UncachedInput = 10, CacheWrite5m = 4000, Output = 10 };
        var cost = CostCalculator.Compute(Strong, usage);
        var savings = SavingsCalculator.Compute(usage, Strong, cost, new SavingsInputs(CacheBreakpointsAdded: true));
        Assert.Equal(-4000 * (0.0000125m - 0.000010m), savings.CacheBreakpoint);
    }

    [Fact]
    public void A_cap_is_recorded_as_a_lever_but_the_same_tokens_save_nothing()
    {
        var cost = CostCalculator.Compute(Strong, Plain);
        var inputs = new SavingsInputs(Capped: true);
        Assert.True(SavingsCalculator.Compute(Plain, Strong, cost, inputs).IsZero);
        Assert.Equal("capped", SavingsCalculator.LeverNames(inputs));
    }

    [Fact]
    public void Nanos_per_lever_sum_to_the_total()
    {
        var s = new SavingsBreakdown { Routed = 0.0000000015m, Degraded = 0.0000000015m, Batch = -0.000000001m };
        Assert.Equal(2 + 2 - 1, s.TotalNanos);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Of("nope"));
    }
}
