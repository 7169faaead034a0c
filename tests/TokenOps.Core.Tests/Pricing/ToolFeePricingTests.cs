using TokenOps.Core.Budgets;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using Xunit;

namespace TokenOps.Core.Tests.Pricing;

public sealed class ToolFeePricingTests
{
    private static PriceCatalog Catalog(string entry) => PriceCatalog.Load(System.Text.Encoding.UTF8.GetBytes("{" + entry + "}"));

    [Fact]
    public void SearchContextCost_IsReadAtTheMediumSize_FileSearchPer1kCalls_PerCall()
    {
        var catalog = Catalog("""
            "m": {"litellm_provider":"openai","input_cost_per_token":1e-6,"output_cost_per_token":2e-6,
                  "search_context_cost_per_query":{"search_context_size_low":0.03,"search_context_size_medium":0.035,"search_context_size_high":0.05},
                  "file_search_cost_per_1k_calls":2.5}
            """);
        Assert.True(catalog.TryGet("m", out var price));
        Assert.Equal(0.035m, price!.WebSearchPerCall);
        Assert.Equal(0.0025m, price.FileSearchPerCall);
        var cost = CostCalculator.Compute(price, new TokenUsage { UncachedInput = 1000, Output = 100, WebSearchCalls = 2, FileSearchCalls = 4 });
        Assert.Equal(2 * 0.035m + 4 * 0.0025m, cost.ToolCalls);
        Assert.Equal(1000 * 1e-6m + 100 * 2e-6m + cost.ToolCalls, cost.Total);
    }

    [Fact]
    public void AModelWithoutASearchPrice_StillPaysTheListPrice_AndReservationsIncludeEveryCall()
    {
        var price = new ModelPrice { Model = "x", Provider = "openai", Input = 1e-6m, Output = 2e-6m };
        Assert.Equal(3 * CostCalculator.DefaultWebSearchPerCall, CostCalculator.Compute(price, new TokenUsage { WebSearchCalls = 3 }).ToolCalls);
        var without = ReservationMath.WorstCaseNanos(price, 100, 100);
        Assert.Equal(without + NanoUsd.FromUsd(5 * CostCalculator.DefaultWebSearchPerCall), ReservationMath.WorstCaseNanos(price, 100, 100, toolCalls: 5));
    }
}
