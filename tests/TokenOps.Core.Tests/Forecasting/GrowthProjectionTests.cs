using System.Text;
using TokenOps.Core.Forecasting;
using TokenOps.Core.Pricing;
using Xunit;

namespace TokenOps.Core.Tests.Forecasting;

public sealed class GrowthProjectionTests
{
    private static readonly PriceCatalog Catalog = PriceCatalog.Load(Encoding.UTF8.GetBytes("""
        {
          "big": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 3e-6, "output_cost_per_token": 1.5e-5 },
          "middle": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-6, "output_cost_per_token": 4e-6 },
          "tiny": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-7, "output_cost_per_token": 4e-7 }
        }
        """));

    [Fact]
    public void Tiers_FollowTheCatalogsOutputPrice_UnlessMapped()
    {
        Assert.Equal(PriceTier.Frontier, PriceTiers.Of("big", Catalog));
        Assert.Equal(PriceTier.Mid, PriceTiers.Of("middle", Catalog));
        Assert.Equal(PriceTier.Small, PriceTiers.Of("tiny", Catalog));
        Assert.Equal(PriceTier.Small, PriceTiers.Of("big", Catalog, new Dictionary<string, PriceTier> { ["big"] = PriceTier.Small }));
        Assert.Equal(PriceTier.Mid, PriceTiers.Of("not-in-catalog", Catalog));
    }

    [Fact]
    public void VolumeReachesTheGrowthAtTheHorizon_PricesFallPerTier_FrontierHeld()
    {
        var a = new GrowthAssumptions(10m, 12, GrowthAssumptions.Default(10m));
        var p = GrowthProjection.Project([new BaselineSpend("core", "big", 100m), new BaselineSpend("core", "middle", 50m), new BaselineSpend("web", "tiny", 10m)],
            a, m => PriceTiers.Of(m, Catalog));
        var big = p.Lines.Single(l => l.Model == "big");
        var middle = p.Lines.Single(l => l.Model == "middle");
        var tiny = p.Lines.Single(l => l.Model == "tiny");
        // Month 12: ten times the volume; the frontier's price held, the others a tenth.
        Assert.Equal(1000m, Math.Round(big.MonthlyUsd[11], 6));
        Assert.Equal(50m, Math.Round(middle.MonthlyUsd[11], 6));
        Assert.Equal(10m, Math.Round(tiny.MonthlyUsd[11], 6));
        // Month 6: sqrt(10) times the volume, compounded monthly.
        Assert.Equal(Math.Round(100m * (decimal)Math.Sqrt(10), 6), Math.Round(big.MonthlyUsd[5], 6));
        Assert.Equal(Math.Round(p.Lines.Sum(l => l.MonthlyUsd[3]), 12), Math.Round(p.MonthlyTotalUsd[3], 12));
        Assert.Equal(160m, p.BaselineUsd);

        // At 100x the frontier line is ten times the 10x one; prices alone (1x) shrink the others.
        var flat = GrowthProjection.Project([new BaselineSpend("core", "middle", 50m)], a with { Growth = 1m }, _ => PriceTier.Mid);
        Assert.Equal(5m, Math.Round(flat.MonthlyTotalUsd[11], 6));
    }

    [Theory]
    [InlineData("10x/yr", 10)]
    [InlineData("10x", 10)]
    [InlineData("1x/yr", 1)]
    [InlineData("60%/yr", 2.5)]
    [InlineData("50%", 2)]
    public void Declines_Parse(string text, double expected)
    {
        Assert.True(GrowthAssumptions.TryParseDecline(text, out var d));
        Assert.Equal((decimal)expected, d);
    }

    [Theory]
    [InlineData("0x")]
    [InlineData("100%/yr")]
    [InlineData("fast")]
    [InlineData("-2x")]
    public void BadDeclines_AreRefused(string text) => Assert.False(GrowthAssumptions.TryParseDecline(text, out _));

    [Fact]
    public void Horizons_AndMultiples_Parse()
    {
        Assert.True(GrowthAssumptions.TryParseHorizon("12m", out var m) && m == 12);
        Assert.True(GrowthAssumptions.TryParseHorizon("2y", out m) && m == 24);
        Assert.False(GrowthAssumptions.TryParseHorizon("0m", out _));
        Assert.False(GrowthAssumptions.TryParseHorizon("11y", out _));
        Assert.True(GrowthAssumptions.TryParseMultiple("100x", out var g) && g == 100m);
        Assert.False(GrowthAssumptions.TryParseMultiple("x", out _));
    }
}
