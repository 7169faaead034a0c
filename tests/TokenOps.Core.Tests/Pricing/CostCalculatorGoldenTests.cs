using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using Xunit;
using static TokenOps.Core.Tests.Pricing.TestCatalog;

namespace TokenOps.Core.Tests.Pricing;

/// <summary>
/// Real catalog models, every expected value computed by hand from the rates in
/// data/pricing/model_prices_and_context_window.json (USD per token).
/// </summary>
public sealed class CostCalculatorGoldenTests
{
    // ---------------- OpenAI ----------------

    [Fact]
    public void Gpt4o_Standard()
    {
        // 1000*2.5e-6 + 500*1e-5 = 0.0025 + 0.005 = 0.0075
        var cost = Cost("gpt-4o", uncached: 1000, output: 500);
        Assert.Equal(0.0075m, cost.Total);
        Assert.Equal(7_500_000, NanoUsd.FromUsd(cost.Total));
    }

    [Fact]
    public void Gpt4o_CacheRead()
    {
        // 2000*2.5e-6 + 8000*1.25e-6 + 1000*1e-5 = 0.005 + 0.01 + 0.01 = 0.025
        var cost = Cost("gpt-4o", uncached: 2000, cacheRead: 8000, output: 1000);
        Assert.Equal(0.005m, cost.UncachedInput);
        Assert.Equal(0.01m, cost.CacheRead);
        Assert.Equal(0.01m, cost.Output);
        Assert.Equal(0.025m, cost.Total);
    }

    [Fact]
    public void Gpt4o_Batch_UsesCatalogBatchRates()
    {
        // input_cost_per_token_batches 1.25e-6, output_cost_per_token_batches 5e-6:
        // 10000*1.25e-6 + 2000*5e-6 = 0.0125 + 0.01 = 0.0225
        Assert.Equal(0.0225m, Cost("gpt-4o", uncached: 10_000, output: 2000, tier: ServiceTier.Batch).Total);
    }

    [Fact]
    public void Gpt4o_Priority()
    {
        // priority: in 4.25e-6, cache read 2.125e-6, out 1.7e-5
        // 1000*4.25e-6 + 1000*2.125e-6 + 1000*1.7e-5 = 0.00425 + 0.002125 + 0.017 = 0.023375
        Assert.Equal(0.023375m, Cost("gpt-4o", uncached: 1000, cacheRead: 1000, output: 1000, tier: ServiceTier.Priority).Total);
    }

    [Fact]
    public void Gpt41_Standard()
    {
        // 100000*2e-6 + 50000*5e-7 + 4000*8e-6 = 0.2 + 0.025 + 0.032 = 0.257
        var cost = Cost("gpt-4.1", uncached: 100_000, cacheRead: 50_000, output: 4000);
        Assert.Equal(0.257m, cost.Total);
        Assert.Equal(257_000_000, NanoUsd.FromUsd(cost.Total));
    }

    [Fact]
    public void Gpt5_ReasoningBilledAtOutputRate()
    {
        // no output_cost_per_reasoning_token -> reasoning at output 1e-5
        // 3000*1.25e-6 + 7000*1.25e-7 + (5000-4000)*1e-5 + 4000*1e-5 = 0.00375 + 0.000875 + 0.01 + 0.04 = 0.054625
        var cost = Cost("gpt-5", uncached: 3000, cacheRead: 7000, output: 5000, reasoning: 4000);
        Assert.Equal(0.01m, cost.Output);
        Assert.Equal(0.04m, cost.Reasoning);
        Assert.Equal(0.054625m, cost.Total);
    }

    [Fact]
    public void Gpt5_Batch_FallsBackToHalfPrice()
    {
        // gpt-5 has no *_batches fields -> 50%: in 6.25e-7, cache read 6.25e-8, out 5e-6
        // 10000*6.25e-7 + 10000*6.25e-8 + 2000*5e-6 = 0.00625 + 0.000625 + 0.01 = 0.016875
        Assert.Equal(0.016875m, Cost("gpt-5", uncached: 10_000, cacheRead: 10_000, output: 2000, tier: ServiceTier.Batch).Total);
    }

    [Fact]
    public void Gpt5_Flex()
    {
        // flex: in 6.25e-7, cache read 6.25e-8, out 5e-6
        // 10000*6.25e-7 + 10000*6.25e-8 + 3000*5e-6 = 0.00625 + 0.000625 + 0.015 = 0.021875
        Assert.Equal(0.021875m, Cost("gpt-5", uncached: 10_000, cacheRead: 10_000, output: 3000, tier: ServiceTier.Flex).Total);
    }

    [Fact]
    public void Gpt5_Priority()
    {
        // priority: in 2.5e-6, cache read 2.5e-7, out 2e-5
        // 1000*2.5e-6 + 2000*2.5e-7 + 1000*2e-5 = 0.0025 + 0.0005 + 0.02 = 0.023
        Assert.Equal(0.023m, Cost("gpt-5", uncached: 1000, cacheRead: 2000, output: 1000, tier: ServiceTier.Priority).Total);
    }

    [Fact]
    public void Gpt5_FlexCacheRead_HalfNanoRoundsAwayFromZero()
    {
        // 1 * 6.25e-8 = 0.0000000625 USD = 62.5 nano -> 63
        var cost = Cost("gpt-5", cacheRead: 1, tier: ServiceTier.Flex);
        Assert.Equal(0.0000000625m, cost.Total);
        Assert.Equal(63, NanoUsd.FromUsd(cost.Total));
    }

    [Fact]
    public void Gpt54_AtThreshold_StaysOnBaseRates()
    {
        // total input 200000 + 72000 = 272000, not > 272000:
        // 200000*2.5e-6 + 72000*2.5e-7 + 10000*1.5e-5 = 0.5 + 0.018 + 0.15 = 0.668
        Assert.Equal(0.668m, Cost("gpt-5.4", uncached: 200_000, cacheRead: 72_000, output: 10_000).Total);
    }

    [Fact]
    public void Gpt54_Above272k_RepricesWholeRequest()
    {
        // total input 272001 > 272000 -> _above_272k_tokens: in 5e-6, cache read 5e-7, out 2.25e-5
        // 200000*5e-6 + 72001*5e-7 + 10000*2.25e-5 = 1.0 + 0.0360005 + 0.225 = 1.2610005
        var cost = Cost("gpt-5.4", uncached: 200_000, cacheRead: 72_001, output: 10_000);
        Assert.Equal(1.0m, cost.UncachedInput);
        Assert.Equal(0.0360005m, cost.CacheRead);
        Assert.Equal(0.225m, cost.Output);
        Assert.Equal(1.2610005m, cost.Total);
        Assert.Equal(1_261_000_500, NanoUsd.FromUsd(cost.Total));
    }

    [Fact]
    public void Gpt54_Flex_UsesCatalogCacheReadFlex()
    {
        // flex: in 1.25e-6, cache read 1.3e-7 (catalog value, not exactly half of 2.5e-7), out 7.5e-6
        // 100000*1.25e-6 + 100000*1.3e-7 + 1000*7.5e-6 = 0.125 + 0.013 + 0.0075 = 0.1455
        Assert.Equal(0.1455m, Cost("gpt-5.4", uncached: 100_000, cacheRead: 100_000, output: 1000, tier: ServiceTier.Flex).Total);
    }

    [Fact]
    public void Gpt54_Batch_CatalogRatesAndHalfCacheRead()
    {
        // batches: in 1.25e-6, out 7.5e-6; cache read 50% of 2.5e-7 = 1.25e-7
        // 100000*1.25e-6 + 100000*1.25e-7 + 10000*7.5e-6 = 0.125 + 0.0125 + 0.075 = 0.2125
        Assert.Equal(0.2125m, Cost("gpt-5.4", uncached: 100_000, cacheRead: 100_000, output: 10_000, tier: ServiceTier.Batch).Total);
    }

    [Fact]
    public void Gpt56_CacheWrite()
    {
        // in 5e-6, cache write 6.25e-6, cache read 5e-7, out 3e-5
        // 1000*5e-6 + 10000*6.25e-6 + 20000*5e-7 + 2000*3e-5 = 0.005 + 0.0625 + 0.01 + 0.06 = 0.1375
        var cost = Cost("gpt-5.6", uncached: 1000, write5m: 10_000, cacheRead: 20_000, output: 2000);
        Assert.Equal(0.0625m, cost.CacheWrite5m);
        Assert.Equal(0.1375m, cost.Total);
    }

    [Fact]
    public void Gpt56_Priority_CacheWritePriority()
    {
        // priority: in 1e-5, cache write 1.25e-5, cache read 1e-6, out 6e-5
        // 1000*1e-5 + 10000*1.25e-5 + 20000*1e-6 + 2000*6e-5 = 0.01 + 0.125 + 0.02 + 0.12 = 0.275
        Assert.Equal(0.275m, Cost("gpt-5.6", uncached: 1000, write5m: 10_000, cacheRead: 20_000, output: 2000, tier: ServiceTier.Priority).Total);
    }

    [Fact]
    public void O3_Reasoning()
    {
        // 5000*2e-6 + 5000*5e-7 + (12000-10000)*8e-6 + 10000*8e-6 = 0.01 + 0.0025 + 0.016 + 0.08 = 0.1085
        var cost = Cost("o3", uncached: 5000, cacheRead: 5000, output: 12_000, reasoning: 10_000);
        Assert.Equal(0.08m, cost.Reasoning);
        Assert.Equal(0.1085m, cost.Total);
    }

    // ---------------- Anthropic ----------------

    [Fact]
    public void ClaudeSonnet45_AllBuckets()
    {
        // in 3e-6, read 3e-7, 5m write 3.75e-6, 1h write 6e-6, out 1.5e-5
        // 1000*3e-6 + 50000*3e-7 + 10000*3.75e-6 + 5000*6e-6 + 2000*1.5e-5
        // = 0.003 + 0.015 + 0.0375 + 0.03 + 0.03 = 0.1155
        var cost = Cost("claude-sonnet-4-5", uncached: 1000, cacheRead: 50_000, write5m: 10_000, write1h: 5000, output: 2000);
        Assert.Equal(0.003m, cost.UncachedInput);
        Assert.Equal(0.015m, cost.CacheRead);
        Assert.Equal(0.0375m, cost.CacheWrite5m);
        Assert.Equal(0.03m, cost.CacheWrite1h);
        Assert.Equal(0.03m, cost.Output);
        Assert.Equal(0m, cost.Reasoning);
        Assert.Equal(0.1155m, cost.Total);
    }

    [Fact]
    public void ClaudeSonnet45_Exactly200k_BaseRates()
    {
        // total input 1000 + 190000 + 9000 = 200000 (not > 200000):
        // 1000*3e-6 + 190000*3e-7 + 9000*3.75e-6 + 2000*1.5e-5 = 0.003 + 0.057 + 0.03375 + 0.03 = 0.12375
        Assert.Equal(0.12375m, Cost("claude-sonnet-4-5", uncached: 1000, cacheRead: 190_000, write5m: 9000, output: 2000).Total);
    }

    [Fact]
    public void ClaudeSonnet45_Above200k_RepricesEveryBucket()
    {
        // total input 1000 + 190000 + 9000 + 1000 = 201000 > 200000 -> _above_200k_tokens rates:
        // in 6e-6, read 6e-7, 5m write 7.5e-6, 1h write 1.2e-5 (…_above_1hr_above_200k_tokens), out 2.25e-5
        // 1000*6e-6 + 190000*6e-7 + 9000*7.5e-6 + 1000*1.2e-5 + 2000*2.25e-5
        // = 0.006 + 0.114 + 0.0675 + 0.012 + 0.045 = 0.2445
        var cost = Cost("claude-sonnet-4-5", uncached: 1000, cacheRead: 190_000, write5m: 9000, write1h: 1000, output: 2000);
        Assert.Equal(0.012m, cost.CacheWrite1h);
        Assert.Equal(0.2445m, cost.Total);
    }

    [Fact]
    public void ClaudeSonnet45_Batch_HalfOfEveryRate()
    {
        // no *_batches fields -> 50% of in 3e-6, read 3e-7, 5m 3.75e-6, 1h 6e-6, out 1.5e-5
        // 10000*1.5e-6 + 10000*1.5e-7 + 10000*1.875e-6 + 10000*3e-6 + 10000*7.5e-6
        // = 0.015 + 0.0015 + 0.01875 + 0.03 + 0.075 = 0.14025
        Assert.Equal(0.14025m, Cost("claude-sonnet-4-5", uncached: 10_000, cacheRead: 10_000, write5m: 10_000, write1h: 10_000, output: 10_000, tier: ServiceTier.Batch).Total);
    }

    [Fact]
    public void ClaudeOpus41()
    {
        // in 1.5e-5, read 1.5e-6, 5m write 1.875e-5, out 7.5e-5
        // 2000*1.5e-5 + 30000*1.5e-6 + 4000*1.875e-5 + 1500*7.5e-5 = 0.03 + 0.045 + 0.075 + 0.1125 = 0.2625
        var cost = Cost("claude-opus-4-1", uncached: 2000, cacheRead: 30_000, write5m: 4000, output: 1500);
        Assert.Equal(0.2625m, cost.Total);
        Assert.Equal(262_500_000, NanoUsd.FromUsd(cost.Total));
    }

    [Fact]
    public void ClaudeHaiku45_FiveMinuteAndOneHourWrites()
    {
        // in 1e-6, 5m write 1.25e-6, 1h write 2e-6, read 1e-7, out 5e-6
        // 500*1e-6 + 2000*1.25e-6 + 3000*2e-6 + 10000*1e-7 + 800*5e-6
        // = 0.0005 + 0.0025 + 0.006 + 0.001 + 0.004 = 0.014
        var cost = Cost("claude-haiku-4-5", uncached: 500, write5m: 2000, write1h: 3000, cacheRead: 10_000, output: 800);
        Assert.Equal(0.0025m, cost.CacheWrite5m);
        Assert.Equal(0.006m, cost.CacheWrite1h);
        Assert.Equal(0.014m, cost.Total);
    }

    // ---------------- Gemini ----------------

    [Fact]
    public void Gemini25Pro_Below200k()
    {
        // 100000*1.25e-6 + 50000*1.25e-7 + 5000*1e-5 = 0.125 + 0.00625 + 0.05 = 0.18125
        Assert.Equal(0.18125m, Cost("gemini/gemini-2.5-pro", uncached: 100_000, cacheRead: 50_000, output: 5000).Total);
    }

    [Fact]
    public void Gemini25Pro_Above200k()
    {
        // 150000 + 50001 = 200001 > 200000 -> in 2.5e-6, read 2.5e-7, out 1.5e-5
        // 150000*2.5e-6 + 50001*2.5e-7 + 5000*1.5e-5 = 0.375 + 0.01250025 + 0.075 = 0.46250025
        var cost = Cost("gemini/gemini-2.5-pro", uncached: 150_000, cacheRead: 50_001, output: 5000);
        Assert.Equal(0.46250025m, cost.Total);
        Assert.Equal(462_500_250, NanoUsd.FromUsd(cost.Total));
    }

    [Fact]
    public void Gemini25Pro_PriorityAbove200k()
    {
        // input_cost_per_token_above_200k_tokens_priority 2.5e-6, output_..._priority 1.5e-5
        // 250000*2.5e-6 + 1000*1.5e-5 = 0.625 + 0.015 = 0.64
        Assert.Equal(0.64m, Cost("gemini/gemini-2.5-pro", uncached: 250_000, output: 1000, tier: ServiceTier.Priority).Total);
    }

    [Fact]
    public void Gemini25Flash_Reasoning()
    {
        // in 3e-7, read 3e-8, out 2.5e-6, reasoning 2.5e-6
        // 10000*3e-7 + 20000*3e-8 + (3000-2000)*2.5e-6 + 2000*2.5e-6 = 0.003 + 0.0006 + 0.0025 + 0.005 = 0.0111
        Assert.Equal(0.0111m, Cost("gemini/gemini-2.5-flash", uncached: 10_000, cacheRead: 20_000, output: 3000, reasoning: 2000).Total);
    }

    [Fact]
    public void Gemini35Flash_PriorityReasoning_UsesPriorityOutputRate()
    {
        // output_cost_per_reasoning_token 9e-6 equals the output rate, so reasoning is output: priority out 1.62e-5
        // 1000*2.7e-6 + (2000-1000)*1.62e-5 + 1000*1.62e-5 = 0.0027 + 0.0162 + 0.0162 = 0.0351
        Assert.Equal(0.0351m, Cost("gemini/gemini-3.5-flash", uncached: 1000, output: 2000, reasoning: 1000, tier: ServiceTier.Priority).Total);
    }

    // ---------------- DeepSeek / Qwen ----------------

    [Fact]
    public void DeepSeekChat_CacheHit()
    {
        // in 2.8e-7, cache read (= input_cost_per_token_cache_hit) 2.8e-8, out 4.2e-7
        // 10000*2.8e-7 + 90000*2.8e-8 + 2000*4.2e-7 = 0.0028 + 0.00252 + 0.00084 = 0.00616
        var cost = Cost("deepseek/deepseek-chat", uncached: 10_000, cacheRead: 90_000, output: 2000);
        Assert.Equal(0.00252m, cost.CacheRead);
        Assert.Equal(0.00616m, cost.Total);
        Assert.Equal(6_160_000, NanoUsd.FromUsd(cost.Total));
    }

    [Fact]
    public void QwenPlus_TieredPricing_DistinctReasoningRate()
    {
        // tiered_pricing [0,256000]: in 4e-7, out 1.2e-6, reasoning 4e-6
        // 1000*4e-7 + (3000-2000)*1.2e-6 + 2000*4e-6 = 0.0004 + 0.0012 + 0.008 = 0.0096
        Assert.Equal(0.0096m, Cost("dashscope/qwen-plus-latest", uncached: 1000, output: 3000, reasoning: 2000).Total);

        // 300000 > 256000 -> tier [256000,1000000]: in 1.2e-6, reasoning 1.2e-5
        // 300000*1.2e-6 + 1000*1.2e-5 = 0.36 + 0.012 = 0.372
        Assert.Equal(0.372m, Cost("dashscope/qwen-plus-latest", uncached: 300_000, output: 1000, reasoning: 1000).Total);
    }

    [Fact]
    public void Qwen3CoderFlash_MissingTierCacheRate_FallsBackToTierInput()
    {
        // no cache read rate anywhere; 40000 > 32000 -> tier in 5e-7, out 2.5e-6
        // 10000*5e-7 + 30000*5e-7 + 1000*2.5e-6 = 0.005 + 0.015 + 0.0025 = 0.0225
        Assert.Equal(0.0225m, Cost("dashscope/qwen3-coder-flash-2025-07-28", uncached: 10_000, cacheRead: 30_000, output: 1000).Total);
    }

    // ---------------- Edge rules ----------------

    [Fact]
    public void ReasoningAboveOutput_IsClampedToOutput()
    {
        // reasoning 500 > output 100 -> reasoning 100, text output 0: 100*1e-5 = 0.001
        var cost = Cost("gpt-5", output: 100, reasoning: 500);
        Assert.Equal(0m, cost.Output);
        Assert.Equal(0.001m, cost.Reasoning);
    }

    [Fact]
    public void NegativeCounts_AreTreatedAsZero()
    {
        // only the 1000 output tokens count: 1000*1e-5 = 0.01
        var cost = Cost("gpt-4o", uncached: -5000, cacheRead: -1, write5m: -1, write1h: -1, output: 1000, reasoning: -7);
        Assert.Equal(0.01m, cost.Total);
        Assert.Equal(0.01m, cost.Output);
    }

    [Fact]
    public void MissingCacheWriteRate_FallsBackToInputRate()
    {
        // gpt-4o has no cache_creation rate: 5m and 1h writes at input 2.5e-6: (1000+1000)*2.5e-6 = 0.005
        var cost = Cost("gpt-4o", write5m: 1000, write1h: 1000);
        Assert.Equal(0.0025m, cost.CacheWrite5m);
        Assert.Equal(0.0025m, cost.CacheWrite1h);
    }

    [Fact]
    public void MissingOneHourWriteRate_FallsBackToFiveMinuteWriteRate()
    {
        // gpt-5.6 has cache_creation_input_token_cost 6.25e-6 but no 1h rate: 1000*6.25e-6 = 0.00625
        Assert.Equal(0.00625m, Cost("gpt-5.6", write1h: 1000).CacheWrite1h);
    }

    [Fact]
    public void UnpricedModel_IsRefusedNotFree()
    {
        var unpriced = TestCatalog.Catalog.All.First(p => !p.IsPriced);
        Assert.Throws<InvalidOperationException>(() => CostCalculator.Compute(unpriced, new TokenUsage { UncachedInput = 1 }));
    }
}
