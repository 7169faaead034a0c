using System.Text;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using Xunit;

namespace TokenOps.Core.Tests.Pricing;

/// <summary>Reader behaviour on small hand-written LiteLLM-format documents.</summary>
public sealed class LiteLlmCatalogParsingTests
{
    private static PriceCatalog Load(string json) => PriceCatalog.Load(Encoding.UTF8.GetBytes(json));

    private static ModelPrice Single(string json) => Assert.Single(Load(json).All);

    [Fact]
    public void Numbers_InExponentIntegerAndPlainForms_ParseExactlyAsDecimal()
    {
        var p = Single("""
            { "m": { "litellm_provider": "x", "mode": "chat",
                     "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1E-5,
                     "cache_read_input_token_cost": 0, "output_cost_per_reasoning_token": 0.000003,
                     "input_cost_per_token_batches": 1.25E-06, "max_input_tokens": 128000, "max_output_tokens": 1.6e4 } }
            """);
        Assert.Equal(0.0000025m, p.Input);
        Assert.Equal(0.00001m, p.Output);
        Assert.Equal(0m, p.CacheRead);
        Assert.Equal(0.000003m, p.Reasoning);
        Assert.Equal(0.00000125m, p.BatchInput);
        Assert.Equal(128_000, p.MaxInputTokens);
        Assert.Equal(16_000, p.MaxOutputTokens);
    }

    [Fact]
    public void OneHourWriteField_IsNotATier_ButItsAboveVariantIs()
    {
        var p = Single("""
            { "m": { "litellm_provider": "anthropic", "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                     "cache_creation_input_token_cost_above_1hr": 4e-6,
                     "cache_creation_input_token_cost_above_1hr_above_200k_tokens": 8e-6,
                     "input_cost_per_token_above_128_tokens": 3e-6,
                     "input_cost_per_image_above_128k_tokens": 9e-3,
                     "output_cost_per_token_above_200k_tokens_priority": 7e-6 } }
            """);
        Assert.Equal(0.000004m, p.CacheWrite1h);
        Assert.Collection(
            p.LongContextTiers,
            t => { Assert.Equal(128, t.ThresholdTokens); Assert.Equal(0.000003m, t.Input); },
            t =>
            {
                Assert.Equal(200_000, t.ThresholdTokens);
                Assert.Equal(0.000008m, t.CacheWrite1h);
                Assert.Equal(0.000007m, t.OutputPriority);
                Assert.Null(t.Input);
            });
    }

    [Fact]
    public void CacheHitAlias_IsUsed_ButCacheReadWins()
    {
        var catalog = Load("""
            { "a": { "litellm_provider": "d", "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "input_cost_per_token_cache_hit": 1e-7 },
              "b": { "litellm_provider": "d", "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                     "input_cost_per_token_cache_hit": 1e-7, "cache_read_input_token_cost": 2e-7 } }
            """);
        Assert.True(catalog.TryGet("a", out var a));
        Assert.True(catalog.TryGet("b", out var b));
        Assert.Equal(0.0000001m, a.CacheRead);
        Assert.Equal(0.0000002m, b.CacheRead);
    }

    [Fact]
    public void MissingTierRate_FallsBackToBaseRate()
    {
        var p = Single("""
            { "m": { "litellm_provider": "x", "input_cost_per_token": 1e-6, "output_cost_per_token": 4e-6,
                     "cache_read_input_token_cost": 1e-7, "input_cost_per_token_above_1k_tokens": 2e-6 } }
            """);
        // 1001 > 1000: tier input 2e-6, output and cache read keep base 4e-6 / 1e-7
        // 1000*2e-6 + 1*1e-7 + 10*4e-6 = 0.002 + 0.0000001 + 0.00004 = 0.0020401
        var cost = CostCalculator.Compute(p, new TokenUsage { UncachedInput = 1000, CacheRead = 1, Output = 10 });
        Assert.Equal(0.0020401m, cost.Total);
    }

    [Fact]
    public void Entry_WithoutRates_IsNotPriced()
    {
        var p = Single("""{ "m": { "litellm_provider": "x", "mode": "image_generation", "output_cost_per_image": 0.04 } }""");
        Assert.False(p.IsPriced);
        Assert.Null(p.Input);
    }

    [Fact]
    public void SearchToolTieredPricing_IsIgnored()
    {
        var p = Single("""
            { "s": { "litellm_provider": "exa", "mode": "search",
                     "tiered_pricing": [ { "input_cost_per_query": 0.005, "max_results_range": [0, 25] } ] } }
            """);
        Assert.False(p.IsPriced);
        Assert.Empty(p.LongContextTiers);
    }

    [Fact]
    public void InvalidJson_ThrowsPriceCatalogException()
    {
        Assert.Throws<PriceCatalogException>(() => Load("""{ "m": { "input_cost_per_token": 1e-6, """));
        Assert.Throws<PriceCatalogException>(() => Load("[]"));
    }

    [Fact]
    public void NonNumericRate_ThrowsNamingModelAndField()
    {
        var ex = Assert.Throws<PriceCatalogException>(() =>
            Load("""{ "my-model": { "litellm_provider": "x", "input_cost_per_token": "cheap" } }"""));
        Assert.Contains("my-model", ex.Message);
        Assert.Contains("input_cost_per_token", ex.Message);
    }

    [Fact]
    public void NegativeRate_Throws()
    {
        var ex = Assert.Throws<PriceCatalogException>(() =>
            Load("""{ "my-model": { "litellm_provider": "x", "output_cost_per_token": -1e-6 } }"""));
        Assert.Contains("output_cost_per_token", ex.Message);
    }

    [Fact]
    public void SampleSpec_IsSkipped()
    {
        var catalog = Load("""
            { "sample_spec": { "input_cost_per_token": 0.0, "max_input_tokens": "max input tokens" },
              "m": { "litellm_provider": "x", "input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6 } }
            """);
        Assert.Equal(1, catalog.Count);
        Assert.False(catalog.TryGet("sample_spec", out _));
    }
}
