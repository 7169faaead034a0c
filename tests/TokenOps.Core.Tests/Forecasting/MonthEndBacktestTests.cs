using TokenOps.Core.Forecasting;
using Xunit;

namespace TokenOps.Core.Tests.Forecasting;

public sealed class MonthEndBacktestTests
{
    /// <summary>
    /// Weekday traffic only (nothing on weekends), each weekday at its own level with ±20 % noise: the shape of the
    /// demo's traffic. Months start on different weekdays, which is what trips a linear run-rate.
    /// </summary>
    private static List<DailySpend> Seasonal(DateOnly from, int days, int seed = 7)
    {
        var random = new Random(seed);
        decimal[] level = [0m, 1.0m, 1.2m, 1.1m, 0.9m, 0.7m, 0m];
        return Enumerable.Range(0, days).Select(i => from.AddDays(i))
            .Select(d => new DailySpend(d, level[(int)d.DayOfWeek] * (0.8m + (decimal)random.NextDouble() * 0.4m)))
            .Where(d => d.Usd > 0m).ToList();
    }

    [Fact]
    public void OnSeasonalTraffic_TheForecastBeatsTheRunRate_AndIsWithinTenPercentByDayTen()
    {
        var series = Seasonal(new DateOnly(2026, 5, 18), 200);
        var result = MonthEndBacktest.Run(series, new DateOnly(2026, 12, 3));
        // June to November: whole months, the history starting in May.
        Assert.Equal(6, result.Months);
        Assert.Equal(18, result.Points.Count);
        foreach (var day in new[] { 5, 10, 20 })
        {
            Assert.True(result.Mape(day) < result.Mape(day, runRate: true), $"day {day}: forecast {result.Mape(day)} vs run-rate {result.Mape(day, runRate: true)}");
        }
        Assert.True(result.Mape(10) <= 0.10m, $"day 10 MAPE {result.Mape(10)}");
    }

    [Fact]
    public void Points_AreWhatTheirDefinitionSays()
    {
        // $1 every day from 1 June: a flat rate, so both methods are exact.
        var series = Enumerable.Range(0, 61).Select(i => new DailySpend(new DateOnly(2026, 6, 1).AddDays(i), 1m)).ToList();
        var result = MonthEndBacktest.Run(series, new DateOnly(2026, 8, 1));
        var july10 = Assert.Single(result.Points, p => p.Month == new DateOnly(2026, 7, 1) && p.Day == 10);
        Assert.Equal(31m, july10.Actual);
        Assert.Equal(31m, Math.Round(july10.Forecast, 10));
        Assert.Equal(31m, july10.RunRate);
        // June's day-5 forecast has four days of history before it; its month is whole.
        Assert.Contains(result.Points, p => p.Month == new DateOnly(2026, 6, 1) && p.Day == 5);
        Assert.Equal(0m, result.Mape(20));
    }

    [Fact]
    public void AMonthTheHistoryStartsInside_IsNotJudged()
    {
        var series = Enumerable.Range(0, 40).Select(i => new DailySpend(new DateOnly(2026, 6, 15).AddDays(i), 1m)).ToList();
        var result = MonthEndBacktest.Run(series, new DateOnly(2026, 8, 1));
        Assert.All(result.Points, p => Assert.Equal(new DateOnly(2026, 7, 1), p.Month));
        Assert.Empty(MonthEndBacktest.Run([], new DateOnly(2026, 8, 1)).Points);
    }
}
