using TokenOps.Core.Alerts;
using TokenOps.Core.Budgets;
using TokenOps.Core.Forecasting;
using Xunit;

namespace TokenOps.Core.Tests.Alerts;

public sealed class AlertRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset NovemberStart = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset DecemberStart = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static BudgetSnapshot Payments(decimal limit, decimal spent) =>
        new("team:payments", BudgetLevel.Team, "payments", limit, spent, 0m, NovemberStart, DecemberStart, true);

    [Theory]
    [InlineData(49, null)]
    [InlineData(50, 50)]
    [InlineData(85, 80)]
    [InlineData(100, 100)]
    [InlineData(130, 100)]
    public void DefaultThresholds_RaiseTheHighestCrossed(int spent, int? expected)
    {
        var alerts = new AlertRules(forecasts: false).Evaluate(Payments(100m, spent), null, Now);
        Assert.Equal(expected, alerts.SingleOrDefault()?.Threshold);
        if (expected is { } t)
        {
            var a = alerts.Single();
            Assert.Equal(AlertKind.Threshold, a.Kind);
            Assert.Equal($"team:payments|2026-11-01T00:00:00Z|threshold|{t}", a.DedupeKey);
            Assert.Contains($"team payments has used {t}% of its budget", a.Message);
        }
    }

    [Fact]
    public void ConfiguredThresholds_Replace_TheDefaults()
    {
        var rules = new AlertRules([90, 25]);
        Assert.Equal([25, 90], rules.Thresholds);
        Assert.Equal(25, rules.Evaluate(Payments(200m, 60m), null, Now).Single().Threshold);
        Assert.Throws<ArgumentException>(() => new AlertRules([0]));
    }

    [Fact]
    public void DedupeKey_IsStableWithinAPeriod_AndNewInTheNext()
    {
        var rules = new AlertRules(forecasts: false);
        var first = rules.Evaluate(Payments(100m, 81m), null, Now).Single();
        var later = rules.Evaluate(Payments(100m, 95m), null, Now.AddDays(3)).Single();
        Assert.Equal(first.DedupeKey, later.DedupeKey);
        Assert.Equal(first.Id, later.Id);
        var december = Payments(100m, 81m) with { PeriodStart = DecemberStart, PeriodEnd = DecemberStart.AddMonths(1) };
        Assert.NotEqual(first.Id, rules.Evaluate(december, null, DecemberStart.AddDays(20)).Single().Id);
    }

    [Fact]
    public void ForecastAlert_SaysWhenAndHowEarly()
    {
        // $4/day for three days; $60 of $81 spent on 21 November: $21 left lasts 5.25 days, to 26 November 06:00.
        var budget = Payments(81m, 60m);
        var history = new[] { 18, 19, 20 }.Select(d => new DailySpend(new DateOnly(2026, 11, d), 4m));
        var forecast = BudgetForecaster.Forecast(budget, history, Now);
        var alerts = new AlertRules().Evaluate(budget, forecast, Now);
        var f = Assert.Single(alerts, a => a.Kind == AlertKind.Forecast);
        Assert.Equal("At the current burn rate team payments runs out on 26 November, 5 days before the period ends ($60.00 of $81.00 spent).", f.Message);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 6, 0, 0, TimeSpan.Zero), f.ProjectedExhaustion);
        Assert.Null(f.Threshold);
        Assert.Equal("team:payments|2026-11-01T00:00:00Z|forecast|", f.DedupeKey);
        Assert.Equal(50, Assert.Single(alerts, a => a.Kind == AlertKind.Threshold).Threshold);
    }

    [Fact]
    public void NoForecastAlert_WhenOnPace_OrAlreadyOverTheLimit()
    {
        var history = new[] { 18, 19, 20 }.Select(d => new DailySpend(new DateOnly(2026, 11, d), 1m)).ToList();
        var onPace = Payments(100m, 20m);
        Assert.Empty(new AlertRules().Evaluate(onPace, BudgetForecaster.Forecast(onPace, history, Now), Now));
        var over = Payments(100m, 100m);
        var alerts = new AlertRules().Evaluate(over, BudgetForecaster.Forecast(over, history, Now), Now);
        Assert.Equal(AlertKind.Threshold, Assert.Single(alerts).Kind);
    }
}
