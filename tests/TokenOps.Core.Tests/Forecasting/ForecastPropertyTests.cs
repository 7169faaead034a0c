using FsCheck;
using FsCheck.Xunit;
using TokenOps.Core.Budgets;
using TokenOps.Core.Forecasting;
using Xunit;

namespace TokenOps.Core.Tests.Forecasting;

/// <summary>Invariants of any forecast: ordered bands, exhaustion inside the period, and a weekly total that seasonality does not change.</summary>
public sealed class ForecastPropertyTests
{
    private static readonly DateTimeOffset PeriodStart = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Property(MaxTest = 300)]
    public bool BandsAreOrdered_AndExhaustionFallsInThePeriod(NonNegativeInt[] cents, NonNegativeInt limitDollars, NonNegativeInt spentDollars, NonNegativeInt hour)
    {
        var now = PeriodStart.AddHours(24 * 10 + hour.Get % (24 * 19));
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var series = cents.Take(60).Select((c, i) => new DailySpend(today.AddDays(-1 - i), c.Get % 100_000 / 100m)).ToList();
        var budget = new BudgetSnapshot("b", BudgetLevel.Team, "t", limitDollars.Get % 5000, spentDollars.Get % 5000, 0m, PeriodStart, PeriodStart.AddMonths(1), false);
        var f = BudgetForecaster.Forecast(budget, series, now);
        static DateTimeOffset Or(DateTimeOffset? t) => t ?? DateTimeOffset.MaxValue;
        return f.ProjectedLow <= f.Projected && f.Projected <= f.ProjectedHigh
            && f.ProjectedLow >= f.Committed
            && Or(f.ExhaustionEarliest) <= Or(f.Exhaustion) && Or(f.Exhaustion) <= Or(f.ExhaustionLatest)
            && (f.Exhaustion is null || (f.Exhaustion >= now && f.Exhaustion <= budget.PeriodEnd))
            && (f.Exhaustion is not null) == (f.Committed >= budget.Limit || f.Projected >= budget.Limit);
    }

    [Property(MaxTest = 300)]
    public bool WeekdayFactors_AverageOne(NonNegativeInt[] cents)
    {
        var today = new DateOnly(2026, 11, 23);
        var series = cents.Take(40).Select((c, i) => new DailySpend(today.AddDays(-1 - i), c.Get % 100_000 / 100m)).ToList();
        var rate = BurnRate.Fit(series, today);
        if (rate is null) return series.Count == 0;
        return Math.Abs(rate.WeekdayFactors.Sum() - 7m) < 0.000001m && rate.WeekdayFactors.All(x => x >= 0m)
            && rate.LowPerDay <= rate.MeanPerDay && rate.MeanPerDay <= rate.HighPerDay;
    }
}
