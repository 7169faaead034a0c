using TokenOps.Core.Budgets;
using TokenOps.Core.Forecasting;
using Xunit;

namespace TokenOps.Core.Tests.Forecasting;

public sealed class BudgetForecasterTests
{
    // Monday 23 November 2026, 00:00 UTC; the period is November.
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset NovemberStart = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset DecemberStart = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static BudgetSnapshot Budget(decimal limit, decimal spent, decimal reserved = 0m) =>
        new("team:payments", BudgetLevel.Team, "payments", limit, spent, reserved, NovemberStart, DecemberStart, false);

    private static IEnumerable<DailySpend> Days(DateOnly first, params decimal[] usd) => usd.Select((u, i) => new DailySpend(first.AddDays(i), u));

    private static void Near(DateTimeOffset expected, DateTimeOffset? actual)
    {
        Assert.NotNull(actual);
        Assert.True(Math.Abs((expected - actual.Value).TotalSeconds) < 1, $"expected {expected:O}, got {actual:O}");
    }

    [Fact]
    public void ShortFlatHistory_ProjectsLinearly_AndFindsTheExhaustionDay()
    {
        // Three complete days at $10: no seasonality (fewer than 14 days), no spread. 8 days left: 40 + 80 = 120.
        var f = BudgetForecaster.Forecast(Budget(100m, 40m), Days(new DateOnly(2026, 11, 20), 10m, 10m, 10m), Now);
        Assert.False(f.Rate.Seasonal);
        Assert.Equal(BurnRate.BasisHistory, f.Rate.Basis);
        Assert.Equal(3, f.Rate.HistoryDays);
        Assert.Equal(10m, f.Rate.MeanPerDay);
        Assert.Equal(120m, Math.Round(f.Projected, 6));
        // $60 left at $10/day: six days, Sunday 29 November 00:00, two days before the period ends.
        Near(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero), f.Exhaustion);
        Assert.True(f.RunsOutBeforePeriodEnd);
        Assert.Equal(2, f.DaysEarly);
    }

    [Fact]
    public void ReservedSpendCounts_AsCommitted()
    {
        var f = BudgetForecaster.Forecast(Budget(100m, 40m, reserved: 20m), Days(new DateOnly(2026, 11, 20), 10m, 10m, 10m), Now);
        Assert.Equal(60m, f.Committed);
        Near(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero), f.Exhaustion);
    }

    [Fact]
    public void WeekdaySeasonality_ShapesTheProjection()
    {
        // Two weeks (Mon 9 – Sun 22 November): $10 on weekdays, nothing at weekends. Mean 100/14 per day,
        // weekday factor 1.4, weekend factor 0, so a weekday is expected to cost exactly $10 again.
        var history = Enumerable.Range(0, 14).Select(i =>
        {
            var day = new DateOnly(2026, 11, 9).AddDays(i);
            return new DailySpend(day, day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0m : 10m);
        }).ToList();
        var f = BudgetForecaster.Forecast(Budget(95m, 40m), history, Now);
        Assert.True(f.Rate.Seasonal);
        Assert.Equal(1.4m, Math.Round(f.Rate.WeekdayFactors[(int)DayOfWeek.Wednesday], 10));
        Assert.Equal(0m, Math.Round(f.Rate.WeekdayFactors[(int)DayOfWeek.Sunday], 10));
        // Mon 23 – Fri 27: 5 × $10; the weekend adds nothing; Monday 30: $10. 40 + 60 = 100.
        Assert.Equal(100m, Math.Round(f.Projected, 6));
        // $55 to go: $50 by Friday night, then $5 on Monday 30 at $10/day: 12:00. A flat rate would say 16:48.
        Near(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero), f.Exhaustion);
        Assert.Equal(1, f.DaysEarly);
        // No residual spread once seasonality is removed: the band collapses.
        Assert.Equal(Math.Round(f.ProjectedLow, 6), Math.Round(f.ProjectedHigh, 6));
    }

    [Fact]
    public void Band_FromTheSpreadOfDailySpend_IsOrdered()
    {
        // $5, $15, $5, $15: mean 10, standard deviation 5, so low 5/day and high 15/day.
        var f = BudgetForecaster.Forecast(Budget(100m, 40m), Days(new DateOnly(2026, 11, 19), 5m, 15m, 5m, 15m), Now);
        Assert.Equal((5m, 10m, 15m), (f.Rate.LowPerDay, f.Rate.MeanPerDay, f.Rate.HighPerDay));
        Assert.Equal((80m, 120m, 160m), (Math.Round(f.ProjectedLow, 6), Math.Round(f.Projected, 6), Math.Round(f.ProjectedHigh, 6)));
        Near(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero), f.ExhaustionEarliest); // $60 at $15/day
        Near(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero), f.Exhaustion);         // $60 at $10/day
        Assert.Null(f.ExhaustionLatest);                                                      // $60 at $5/day: 12 days, after the period
        Assert.True(f.ExhaustionEarliest <= f.Exhaustion);
        Assert.True(f.ProjectedLow <= f.Projected && f.Projected <= f.ProjectedHigh);
    }

    [Fact]
    public void NoCompleteDayOfHistory_FallsBackToPeriodToDate()
    {
        var budget = Budget(100m, 20m) with { PeriodStart = new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero) };
        // Only today's partial spend in the series: it is not a complete day.
        var f = BudgetForecaster.Forecast(budget, [new DailySpend(new DateOnly(2026, 11, 23), 3m)], Now.AddHours(6));
        Assert.Equal(BurnRate.BasisPeriodToDate, f.Rate.Basis);
        // $20 over 2.25 days.
        Assert.Equal(Math.Round(20m / 2.25m, 10), Math.Round(f.Rate.MeanPerDay, 10));
        Assert.Equal(f.Rate.LowPerDay, f.Rate.HighPerDay);
    }

    [Fact]
    public void UnderspendingBudget_DoesNotRunOut_AndSpentBudget_IsExhaustedNow()
    {
        var slow = BudgetForecaster.Forecast(Budget(1000m, 40m), Days(new DateOnly(2026, 11, 20), 10m, 10m, 10m), Now);
        Assert.Null(slow.Exhaustion);
        Assert.False(slow.RunsOutBeforePeriodEnd);
        Assert.Null(slow.DaysEarly);
        var spent = BudgetForecaster.Forecast(Budget(100m, 100m), Days(new DateOnly(2026, 11, 20), 10m), Now);
        Assert.Equal(Now, spent.Exhaustion);
    }

    [Fact]
    public void HistoryOlderThanTheLookback_IsIgnored_ButItsQuietDaysCount()
    {
        var old = Days(new DateOnly(2026, 9, 1), Enumerable.Repeat(1000m, 20).ToArray());
        var recent = Days(new DateOnly(2026, 11, 20), 10m, 10m, 10m);
        var f = BudgetForecaster.Forecast(Budget(100m, 40m), old.Concat(recent), Now);
        // The scope existed before the window, so the window's quiet days count as 0: $30 over 28 days, not $1000s.
        Assert.Equal(28, f.Rate.HistoryDays);
        Assert.Equal(Math.Round(30m / 28m, 10), Math.Round(f.Rate.MeanPerDay, 10));
    }

    [Fact]
    public void OrganisationNextPeriod_IsTheRateOverTheNextMonth()
    {
        var (start, end) = BudgetForecaster.NextMonth(Now);
        Assert.Equal((DecemberStart, new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero)), (start, end));
        var p = BudgetForecaster.ProjectPeriod(Days(new DateOnly(2026, 11, 19), 5m, 15m, 5m, 15m), start, end, Now);
        // 31 days of December at 5, 10 and 15 per day.
        Assert.Equal((155m, 310m, 465m), (Math.Round(p.Low, 6), Math.Round(p.Mid, 6), Math.Round(p.High, 6)));
    }
}
