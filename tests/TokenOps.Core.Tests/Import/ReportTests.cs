using System.Text;
using TokenOps.Core.Import;
using TokenOps.Core.Reports;
using TokenOps.Core.Tests.Pricing;
using Xunit;

namespace TokenOps.Core.Tests.Import;

/// <summary>Report aggregation against hand-computed values (REFERENCE.md 2.4 fixture figures, LiteLLM rates).</summary>
public sealed class ReportTests
{
    private static UsageEvent Event(string line)
    {
        Assert.Equal(LineKind.Usage, new ClaudeCodeLineParser().Parse(Encoding.UTF8.GetBytes(line), out var e, out _));
        return e;
    }

    private static List<PricedUsage> Price(CostMode mode, params UsageEvent[] events)
    {
        var pricer = new UsagePricer(mode == CostMode.Display ? null : TestCatalog.Catalog, mode);
        var list = new List<PricedUsage>();
        foreach (var e in events)
        {
            Assert.True(pricer.TryPrice(e, out var p, out var error), error);
            list.Add(p);
        }
        return list;
    }

    // sonnet-4: 100 x 3e-6 + 50 x 15e-6 + 25 x 3.75e-6 + 10 x 0.3e-6 = 0.00114675 (the REFERENCE fixture's calculate value)
    private static readonly UsageEvent Sonnet = Event(ClaudeCodeParsingTests.Line(extra: "\"costUSD\":0.46,"));
    // haiku-4-5: 65 x 1e-6 + 30 x 5e-6 + 15 x 1.25e-6 + 20 x 0.1e-6 = 0.00023575, no costUSD
    private static readonly UsageEvent Haiku = Event(ClaudeCodeParsingTests.Line(msg: "msg_h", model: "claude-haiku-4-5-20251001", ts: "2026-01-09T23:30:00.000Z", input: 65, output: 30, cc: 15, cr: 20));

    [Theory]
    [InlineData(CostMode.Calculate, "0.00114675", "0.00023575")]
    [InlineData(CostMode.Display, "0.46", "0")]
    [InlineData(CostMode.Auto, "0.46", "0.00023575")]
    public void CostModes(CostMode mode, string sonnet, string haiku)
    {
        var priced = Price(mode, Sonnet, Haiku);
        Assert.Equal(decimal.Parse(sonnet, System.Globalization.CultureInfo.InvariantCulture), priced[0].Cost);
        Assert.Equal(decimal.Parse(haiku, System.Globalization.CultureInfo.InvariantCulture), priced[1].Cost);
    }

    [Fact]
    public void UnknownModel_CannotBePriced_ButDisplayModeNeedsNoCatalog()
    {
        var unknown = Event(ClaudeCodeParsingTests.Line(model: "claude-nonexistent-9"));
        Assert.False(new UsagePricer(TestCatalog.Catalog, CostMode.Calculate).TryPrice(unknown, out _, out var error));
        Assert.Contains("claude-nonexistent-9", error);
        Assert.True(new UsagePricer(null, CostMode.Display).TryPrice(unknown, out _, out _));
    }

    [Fact]
    public void LongContext_WholeRequestRepriced_NotPerCategory()
    {
        // sonnet-4-5, 300k input + 250k output: total input > 200k, so every token takes the >200k rate
        // (6e-6 in, 22.5e-6 out) = 1.8 + 5.625 = 7.425; ccusage tiers per category: 1.2 + 4.125 = 5.325.
        var e = Event(ClaudeCodeParsingTests.Line(model: "claude-sonnet-4-5-20250929", input: 300_000, output: 250_000, cc: 0, cr: 0));
        Assert.Equal(7.425m, Price(CostMode.Calculate, e)[0].Cost);
    }

    [Fact]
    public void Daily_BucketsByTimeZone_PerModelBreakdown()
    {
        var priced = Price(CostMode.Calculate, Sonnet, Haiku);
        var (utc, totals) = UsageReports.Build(priced, UsageGrouping.Daily, new ReportOptions());
        var day = Assert.Single(utc);
        Assert.Equal("2026-01-09", day.Key);
        Assert.Equal(["claude-haiku-4-5-20251001", "claude-sonnet-4-20250514"], day.Models.Keys);
        Assert.Equal(0.0013825m, totals.Cost);
        Assert.Equal(165, totals.Input);
        Assert.Equal(185 + 130, day.Totals.TotalTokens); // sonnet 100+50+25+10, haiku 65+30+15+20

        var tokyo = UsageReports.Build(priced, UsageGrouping.Daily, new ReportOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo") }).Rows;
        Assert.Equal(["2026-01-09", "2026-01-10"], tokyo.Select(r => r.Key));
        var la = UsageReports.Build(priced, UsageGrouping.Daily, new ReportOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles") }).Rows;
        Assert.Equal(["2026-01-09"], la.Select(r => r.Key));
    }

    [Fact]
    public void SinceUntil_AreInclusiveLocalDays_WeeklyAndMonthlyKeys()
    {
        var priced = Price(CostMode.Calculate, Sonnet, Haiku);
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
        var only10th = UsageReports.Build(priced, UsageGrouping.Daily, new ReportOptions { TimeZone = tokyo, Since = new DateOnly(2026, 1, 10), Until = new DateOnly(2026, 1, 10) });
        Assert.Equal("claude-haiku-4-5-20251001", Assert.Single(Assert.Single(only10th.Rows).Models.Keys));
        // 2026-01-09 is a Friday: the week starting Sunday is 2026-01-04, starting Monday 2026-01-05.
        Assert.Equal("2026-01-04", Assert.Single(UsageReports.Build(priced, UsageGrouping.Weekly, new ReportOptions()).Rows).Key);
        Assert.Equal("2026-01-05", Assert.Single(UsageReports.Build(priced, UsageGrouping.Weekly, new ReportOptions { StartOfWeek = DayOfWeek.Monday }).Rows).Key);
        Assert.Equal("2026-01", Assert.Single(UsageReports.Build(priced, UsageGrouping.Monthly, new ReportOptions()).Rows).Key);
    }

    private static PricedUsage At(string utc, long tokens, decimal cost) =>
        new(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), "m", "s", "p", tokens, 0, 0, 0, cost);

    [Fact]
    public void Blocks_FiveHourWindows_Gaps_ActiveBurnRateAndProjection()
    {
        var usage = new[]
        {
            At("2026-01-09T10:20:00Z", 100, 1m),
            At("2026-01-09T14:59:00Z", 100, 1m),  // same block (start 10:00, < 5 h after it)
            At("2026-01-09T15:10:00Z", 100, 1m),  // > 5 h after the block start: new block at 15:00
            At("2026-01-10T02:00:00Z", 600, 3m),  // idle > 5 h: a gap block, then a block at 02:00
            At("2026-01-10T03:00:00Z", 600, 3m),
        };
        var now = DateTimeOffset.Parse("2026-01-10T04:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var blocks = BillingBlocks.Build(usage, now);
        Assert.Equal(4, blocks.Count);
        Assert.Equal(DateTimeOffset.Parse("2026-01-09T10:00:00Z"), blocks[0].Start);
        Assert.Equal(2, blocks[0].Entries);
        Assert.Equal(DateTimeOffset.Parse("2026-01-09T15:00:00Z"), blocks[1].Start);
        Assert.True(blocks[2].IsGap);
        var active = blocks[3];
        Assert.True(active.IsActive);
        Assert.False(blocks[0].IsActive);
        Assert.Equal(DateTimeOffset.Parse("2026-01-10T07:00:00Z"), active.End);
        // 1200 tokens over 60 minutes = 20/min; 6 USD/h; 180 minutes left -> 1200 + 3600 tokens, 6 + 18 USD.
        Assert.Equal(20m, active.Burn!.TokensPerMinute);
        Assert.Equal(6m, active.Burn.CostPerHour);
        Assert.Equal(new BlockProjection(4800, 24m, 180), active.Projection);
    }

    [Fact]
    public void Blocks_NothingActiveLongAfterTheLastRequest()
    {
        var blocks = BillingBlocks.Build([At("2026-01-09T10:20:00Z", 100, 1m)], DateTimeOffset.Parse("2026-01-09T16:00:00Z"));
        Assert.False(Assert.Single(blocks).IsActive);
        Assert.Null(blocks[0].Burn);
    }
}
