namespace TokenOps.Core.Forecasting;

/// <summary>One month's month-end forecast made on one day of it, by the forecaster and by the linear run-rate, against what it came to.</summary>
public sealed record BacktestPoint(DateOnly Month, int Day, decimal Actual, decimal Forecast, decimal RunRate)
{
    public decimal ForecastError => Actual == 0m ? 0m : Math.Abs(Forecast - Actual) / Actual;
    public decimal RunRateError => Actual == 0m ? 0m : Math.Abs(RunRate - Actual) / Actual;
}

/// <summary>Mean absolute percentage errors per forecast day (as fractions: 0.1 is 10 %), and every point behind them.</summary>
public sealed record BacktestResult(IReadOnlyList<int> Days, IReadOnlyList<BacktestPoint> Points)
{
    public decimal? Mape(int day, bool runRate = false)
    {
        var points = Points.Where(p => p.Day == day && p.Actual > 0m).ToList();
        return points.Count == 0 ? null : points.Average(p => runRate ? p.RunRateError : p.ForecastError);
    }

    /// <summary>Whole months judged: those with spend (a month that spent nothing has no percentage error).</summary>
    public int Months => Points.Where(p => p.Actual > 0m).Select(p => p.Month).Distinct().Count();
}

/// <summary>
/// Can the month-end forecast be trusted? For every whole calendar month (UTC) of the history, the forecast is made as it
/// would have been at the start of day 5, 10 and 20: spend so far plus the rest of the month at the rate
/// <see cref="BurnRate.Fit"/> draws from the days before (weekday-seasonal with two weeks of history), next to the linear
/// run-rate baseline (spend so far ÷ days elapsed × days in the month), and both are compared with the month's actual
/// spend. Only months the series covers from their first day are judged, and only forecasts with history before them.
/// </summary>
public static class MonthEndBacktest
{
    public static readonly IReadOnlyList<int> DefaultDays = [5, 10, 20];

    public static BacktestResult Run(IEnumerable<DailySpend> series, DateOnly today, IReadOnlyList<int>? days = null)
    {
        days ??= DefaultDays;
        var byDay = new Dictionary<DateOnly, decimal>();
        foreach (var d in series) byDay[d.Day] = byDay.GetValueOrDefault(d.Day) + d.Usd;
        var points = new List<BacktestPoint>();
        if (byDay.Count == 0) return new BacktestResult(days, points);
        var first = byDay.Keys.Min();
        var ordered = byDay.Select(kv => new DailySpend(kv.Key, kv.Value)).OrderBy(d => d.Day).ToList();
        for (var month = new DateOnly(first.Year, first.Month, 1); month.AddMonths(1) <= today; month = month.AddMonths(1))
        {
            if (month < first) continue; // history starts inside this month: its actual is not whole
            var length = DateTime.DaysInMonth(month.Year, month.Month);
            var actual = Sum(byDay, month, month.AddMonths(1));
            foreach (var day in days)
            {
                if (day < 2 || day > length) continue;
                var cut = month.AddDays(day - 1);
                var known = Sum(byDay, month, cut);
                var rate = BurnRate.Fit(ordered.Where(d => d.Day < cut), cut);
                if (rate is null) continue;
                var rest = 0m;
                for (var d = cut; d < month.AddMonths(1); d = d.AddDays(1)) rest += rate.PerDay(d.DayOfWeek);
                var runRate = known / (day - 1) * length;
                points.Add(new BacktestPoint(month, day, actual, known + rest, runRate));
            }
        }
        return new BacktestResult(days, points);
    }

    private static decimal Sum(Dictionary<DateOnly, decimal> byDay, DateOnly from, DateOnly until)
    {
        var total = 0m;
        for (var d = from; d < until; d = d.AddDays(1)) total += byDay.GetValueOrDefault(d);
        return total;
    }
}
