namespace TokenOps.Core.Forecasting;

/// <summary>Spend on one UTC calendar day, in USD.</summary>
public sealed record DailySpend(DateOnly Day, decimal Usd);

/// <summary>
/// How fast a budget spends: a mean daily rate, one factor per weekday (index = <see cref="DayOfWeek"/>, averaging 1),
/// and a band one standard deviation either side of the mean (of the residuals once seasonality is removed).
/// </summary>
public sealed record BurnRate(decimal MeanPerDay, decimal LowPerDay, decimal HighPerDay, IReadOnlyList<decimal> WeekdayFactors, bool Seasonal, int HistoryDays, string Basis)
{
    public const string BasisHistory = "daily-history";
    public const string BasisPeriodToDate = "period-to-date";

    private static readonly decimal[] Flat = [1m, 1m, 1m, 1m, 1m, 1m, 1m];

    public static BurnRate Zero { get; } = new(0m, 0m, 0m, Flat, false, 0, BasisHistory);

    /// <summary>
    /// How unsteady the daily spend is: the standard deviation of the days (after weekday seasonality) over their mean,
    /// the coefficient of variation. 0 for a flat rate; a burst among quiet days makes it large.
    /// </summary>
    public decimal Variation => MeanPerDay > 0m ? (HighPerDay - MeanPerDay) / MeanPerDay : 0m;

    /// <summary>Expected spend on a whole day of this weekday, at the mean, low or high rate.</summary>
    public decimal PerDay(DayOfWeek day, RateBand band = RateBand.Mid) => WeekdayFactors[(int)day] * band switch
    {
        RateBand.Low => LowPerDay,
        RateBand.High => HighPerDay,
        _ => MeanPerDay,
    };

    /// <summary>Weekday factors need two observations of every weekday: at least this many complete days.</summary>
    public const int MinDaysForSeasonality = 14;

    /// <summary>Default history window: four weeks of complete days before today.</summary>
    public const int DefaultLookbackDays = 28;

    /// <summary>
    /// Fits the rate on complete UTC days before <paramref name="today"/> (today is partial, so it is left out), from the first
    /// day in the series or <paramref name="lookbackDays"/> back, whichever is later; days missing from the series spent 0.
    /// Returns null when there is no complete day of history.
    /// </summary>
    public static BurnRate? Fit(IEnumerable<DailySpend> series, DateOnly today, int lookbackDays = DefaultLookbackDays)
    {
        var byDay = new Dictionary<DateOnly, decimal>();
        foreach (var d in series)
            if (d.Day < today) byDay[d.Day] = byDay.GetValueOrDefault(d.Day) + d.Usd;
        if (byDay.Count == 0) return null;
        var start = byDay.Keys.Min();
        var earliest = today.AddDays(-lookbackDays);
        if (start < earliest) start = earliest;
        var days = new List<(DateOnly Day, decimal Usd)>();
        for (var day = start; day < today; day = day.AddDays(1)) days.Add((day, byDay.GetValueOrDefault(day)));
        if (days.Count == 0) return null;

        var n = days.Count;
        var mean = days.Sum(d => d.Usd) / n;
        var factors = new decimal[] { 1m, 1m, 1m, 1m, 1m, 1m, 1m };
        var seasonal = n >= MinDaysForSeasonality && mean > 0m;
        if (seasonal)
        {
            for (var wd = 0; wd < 7; wd++)
            {
                var values = days.Where(d => (int)d.Day.DayOfWeek == wd).Select(d => d.Usd).ToList();
                factors[wd] = values.Average() / mean;
            }
            // Normalise so the factors average exactly 1: a week at the mean rate spends 7 × mean.
            var average = factors.Average();
            for (var wd = 0; wd < 7; wd++) factors[wd] /= average;
        }
        var variance = days.Sum(d =>
        {
            var residual = (double)(d.Usd - mean * factors[(int)d.Day.DayOfWeek]);
            return residual * residual;
        }) / n;
        var sd = (decimal)Math.Sqrt(variance);
        return new BurnRate(mean, Math.Max(0m, mean - sd), mean + sd, factors, seasonal, n, BasisHistory);
    }

    /// <summary>A flat rate from the current period alone (short history): spent ÷ elapsed days, at least one day.</summary>
    public static BurnRate PeriodToDate(decimal spent, DateTimeOffset periodStart, DateTimeOffset now)
    {
        var elapsedDays = (decimal)(now - periodStart).TotalDays;
        var rate = Math.Max(0m, spent) / Math.Max(1m, elapsedDays);
        return new BurnRate(rate, rate, rate, Flat, false, 0, BasisPeriodToDate);
    }
}

public enum RateBand
{
    Low,
    Mid,
    High,
}
