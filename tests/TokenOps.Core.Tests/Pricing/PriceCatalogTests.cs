using System.Diagnostics;
using System.Security.Cryptography;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using Xunit;

namespace TokenOps.Core.Tests.Pricing;

public sealed class PriceCatalogTests
{
    private static PriceCatalog Load(IReadOnlyDictionary<string, PriceOverride>? overrides = null) =>
        PriceCatalog.Load(TestCatalog.Bytes, overrides);

    [Fact]
    public void BundledCatalog_Has2982Models_AndSkipsNonModelKeys()
    {
        var catalog = TestCatalog.Catalog;
        Assert.Equal(2982, catalog.Count);
        Assert.Equal(2982, catalog.All.Count());
        Assert.False(catalog.TryGet("sample_spec", out _));
        Assert.False(catalog.TryGet("fallback_generalizations", out _));
        Assert.DoesNotContain(catalog.All, p => p.Model is "sample_spec" or "fallback_generalizations");
    }

    [Fact]
    public void Version_IsSha256PrefixOfTheCatalogBytes_AndStableAcrossLoads()
    {
        var expected = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(TestCatalog.Bytes))[..16];
        Assert.Equal(expected, Load().Version);
        Assert.Equal(expected, Load().Version);
        Assert.Equal(expected, Load(new Dictionary<string, PriceOverride>()).Version);
    }

    [Fact]
    public void Version_ChangesWithOverrides_AndIgnoresDecimalTrailingZeros()
    {
        var none = Load().Version;
        var a = Load(new Dictionary<string, PriceOverride> { ["gpt-4o"] = new() { InputPerMTok = 2.5m } }).Version;
        var sameValue = Load(new Dictionary<string, PriceOverride> { ["gpt-4o"] = new() { InputPerMTok = 2.50m } }).Version;
        var changed = Load(new Dictionary<string, PriceOverride> { ["gpt-4o"] = new() { InputPerMTok = 2.4m } }).Version;
        var otherField = Load(new Dictionary<string, PriceOverride> { ["gpt-4o"] = new() { OutputPerMTok = 2.5m } }).Version;

        Assert.NotEqual(none, a);
        Assert.Equal(a, sameValue);
        Assert.NotEqual(a, changed);
        Assert.NotEqual(a, otherField);
        Assert.StartsWith("sha256:", a);
        Assert.Equal("sha256:".Length + 16, a.Length);
    }

    [Fact]
    public void Override_OverlaysOneField_AndKeepsTheOthers()
    {
        var catalog = Load(new Dictionary<string, PriceOverride> { ["gpt-4o"] = new() { InputPerMTok = 2m } });
        Assert.True(catalog.TryGet("gpt-4o", out var p));
        Assert.Equal(0.000002m, p.Input);
        Assert.Equal(0.00001m, p.Output);
        Assert.Equal(0.00000125m, p.CacheRead);
        Assert.Equal(0.00000125m, p.BatchInput);
        Assert.Equal("openai", p.Provider);
        Assert.Equal("chat", p.Mode);
        Assert.Equal(16384, p.MaxOutputTokens);

        // 1000*2e-6 + 500*1e-5 = 0.002 + 0.005 = 0.007
        Assert.Equal(0.007m, CostCalculator.Compute(p, new TokenUsage { UncachedInput = 1000, Output = 500 }).Total);
    }

    [Fact]
    public void Override_OfOutput_CarriesAReasoningRateThatEqualedOutput()
    {
        // gemini-2.5-flash: output_cost_per_reasoning_token == output (2.5e-6); override output to 3 $/MTok
        var catalog = Load(new Dictionary<string, PriceOverride> { ["gemini/gemini-2.5-flash"] = new() { OutputPerMTok = 3m } });
        Assert.True(catalog.TryGet("gemini/gemini-2.5-flash", out var p));
        Assert.Equal(0.000003m, p.Reasoning);

        // 1000 reasoning of 1000 output: 1000*3e-6 = 0.003
        Assert.Equal(0.003m, CostCalculator.Compute(p, new TokenUsage { Output = 1000, Reasoning = 1000 }).Reasoning);
    }

    [Fact]
    public void Override_AddsANewModel()
    {
        var catalog = Load(new Dictionary<string, PriceOverride>
        {
            ["acme/llm-1"] = new() { InputPerMTok = 0.8m, OutputPerMTok = 3.2m, CacheReadPerMTok = 0.08m, MaxOutputTokens = 4096 },
        });
        Assert.Equal(2983, catalog.Count);
        Assert.True(catalog.TryGet("acme/llm-1", out var p));
        Assert.True(p.IsPriced);
        Assert.Equal("custom", p.Provider);
        Assert.Equal("chat", p.Mode);
        Assert.Equal(4096, p.MaxOutputTokens);
        Assert.Empty(p.LongContextTiers);

        // 1000*8e-7 + 1000*8e-8 + 1000*3.2e-6 = 0.0008 + 0.00008 + 0.0032 = 0.00408
        var cost = CostCalculator.Compute(p, new TokenUsage { UncachedInput = 1000, CacheRead = 1000, Output = 1000 });
        Assert.Equal(0.00408m, cost.Total);
    }

    [Fact]
    public void Override_NewModelWithoutOutputPrice_ThrowsNamingModelAndField()
    {
        var ex = Assert.Throws<PriceCatalogException>(() =>
            Load(new Dictionary<string, PriceOverride> { ["acme/llm-2"] = new() { InputPerMTok = 1m } }));
        Assert.Contains("acme/llm-2", ex.Message);
        Assert.Contains("OutputPerMTok", ex.Message);
    }

    [Fact]
    public void Override_NegativePrice_Throws()
    {
        var ex = Assert.Throws<PriceCatalogException>(() =>
            Load(new Dictionary<string, PriceOverride> { ["gpt-4o"] = new() { CacheReadPerMTok = -1m } }));
        Assert.Contains("gpt-4o", ex.Message);
        Assert.Contains("CacheReadPerMTok", ex.Message);
    }

    [Fact]
    public void TryGet_UnknownModel_IsFalse_AndLookupIsCaseSensitive()
    {
        Assert.False(TestCatalog.Catalog.TryGet("gpt-99-ultra", out _));
        Assert.False(TestCatalog.Catalog.TryGet("GPT-4o", out _));
        Assert.False(TestCatalog.Catalog.TryGet("", out _));
    }

    [Fact]
    public void TryGet_StripsAKnownProviderPrefix()
    {
        Assert.True(TestCatalog.Catalog.TryGet("openai/gpt-4o", out var gpt));
        Assert.Equal("gpt-4o", gpt.Model);
        Assert.True(TestCatalog.Catalog.TryGet("anthropic/claude-haiku-4-5", out var haiku));
        Assert.Equal("claude-haiku-4-5", haiku.Model);
        Assert.False(TestCatalog.Catalog.TryGet("unknownvendor/gpt-4o", out _));
    }

    [Fact]
    public void TryGet_PrefersTheExactPrefixedKey()
    {
        // "deepseek/deepseek-chat" is itself a key (with input_cost_per_token_cache_hit); it must not be stripped
        Assert.True(TestCatalog.Catalog.TryGet("deepseek/deepseek-chat", out var p));
        Assert.Equal("deepseek/deepseek-chat", p.Model);
    }

    [Fact]
    public void PromptCacheMinimums_AreReadFromTheCatalog()
    {
        Assert.Equal(1024, TestCatalog.Get("claude-sonnet-4-5").PromptCacheMinTokens);
        Assert.Equal(4096, TestCatalog.Get("claude-haiku-4-5").PromptCacheMinTokens);
        Assert.Equal(2048, TestCatalog.Get("claude-opus-4-7").PromptCacheMinTokens);
        Assert.Null(TestCatalog.Get("gpt-4.1").PromptCacheMinTokens); // OpenAI entries do not say: 1,024 is the rule
    }

    [Fact]
    public void ParsedRates_MatchTheCatalog()
    {
        var sonnet = TestCatalog.Get("claude-sonnet-4-5");
        Assert.Equal(0.000006m, sonnet.CacheWrite1h); // …_above_1hr is the 1h TTL write, not a tier
        var tier = Assert.Single(sonnet.LongContextTiers);
        Assert.Equal(200_000, tier.ThresholdTokens);
        Assert.Equal(0.000012m, tier.CacheWrite1h);  // …_above_1hr_above_200k_tokens
        Assert.Equal(0.0000075m, tier.CacheWrite5m);

        var gpt54 = TestCatalog.Get("gpt-5.4");
        Assert.Equal(272_000, Assert.Single(gpt54.LongContextTiers).ThresholdTokens);
        Assert.Equal(0.00000013m, gpt54.CacheReadFlex);

        var gemini = Assert.Single(TestCatalog.Get("gemini/gemini-2.5-pro").LongContextTiers);
        Assert.Equal(0.0000025m, gemini.InputPriority);

        Assert.Equal(512_000, Assert.Single(TestCatalog.Get("minimax/MiniMax-M3").LongContextTiers).ThresholdTokens);
        Assert.Equal(256_000, Assert.Single(TestCatalog.Get("openrouter/qwen/qwen3.5-plus-02-15").LongContextTiers).ThresholdTokens);
        Assert.Equal([32_000L, 128_000L, 256_000L], TestCatalog.Get("dashscope/qwen3-coder-plus").LongContextTiers.Select(t => t.ThresholdTokens));

        var embedding = TestCatalog.Get("text-embedding-3-small");
        Assert.Equal("embedding", embedding.Mode);
        Assert.Equal(0m, embedding.Output);
        Assert.True(embedding.IsPriced);
    }

    [Fact]
    public void Load_IsFast()
    {
        _ = Load(); // warm-up (JIT)
        var sw = Stopwatch.StartNew();
        _ = Load();
        sw.Stop();
        // measured ~20 ms in Release; the bound is loose so a busy CI box does not flake
        Assert.True(sw.ElapsedMilliseconds < 1000, $"catalog load took {sw.ElapsedMilliseconds} ms");
    }
}
