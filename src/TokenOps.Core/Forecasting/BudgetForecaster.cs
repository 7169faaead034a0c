using TokenOps.Core.Budgets;

namespace TokenOps.Core.Forecasting;

/// <summary>
/// A budget's forecast at one instant. Projected spend at period end comes as a band (low ≤ mid ≤ high). Exhaustion is
/// when committed spend (spent + reserved) plus projected spend reaches the limit, searched up to the period end:
/// null means "not within this period". The earliest exhaustion uses the high rate, the latest the low rate.
/// </summary>
public sealed record BudgetForecast(
    string BudgetId,
    BudgetLevel Level,
    string Name,
    DateTimeOffset At,
    decimal Limit,
    decimal Committed,
    DateTimeOffset PeriodEnd,
    BurnRate Rate,
    decimal ProjectedLow,
    decimal Projected,
    decimal ProjectedHigh,
    DateTimeOffset? ExhaustionEarliest,
    DateTimeOffset? Exhaustion,
    DateTimeOffset? ExhaustionLatest)
{
    /// <summary>Distinct UTC days with spend in the series the forecast was made from, today included: how much evidence the rate rests on.</summary>
    public int DaysOfData { get; init; }

    /// <summary>True when, at the mean rate, the budget runs out before its period ends.</summary>
    public bool RunsOutBeforePeriodEnd => Exhaustion is { } e && e < PeriodEnd;

    /// <summary>Whole calendar days between the exhaustion day and the period end (UTC), when it runs out in this period.</summary>
    public int? DaysEarly => Exhaustion is { } e && e < PeriodEnd
        ? PeriodEnd.UtcDateTime.Date.Subtract(e.UtcDateTime.Date).Days
        : null;
}

/// <summary>Spend projected over a future period (for example the organisation's next month), as a band.</summary>
public sealed record PeriodProjection(DateTimeOffset Start, DateTimeOffset End, decimal Low, decimal Mid, decimal High, BurnRate Rate);

/// <summary>
/// Forecasts from a daily spend series (UTC days, from the ledger) and a budget snapshot. Pure: the caller passes the
/// time. Reusable by alerts, `tokenops status` and the dashboard.
/// </summary>
public static class BudgetForecaster
{
    // Bounds every walk over days (a year and a bit), whatever period lengths are configured.
    private const int MaxDays = 400;

    /// <summary>
    /// The forecast for <paramref name="budget"/> at <paramref name="now"/>. <paramref name="dailySeries"/> is the budget's
    /// scope's spend per UTC day (any length; the last <see cref="BurnRate.DefaultLookbackDays"/> complete days are used).
    /// With no complete day of history the rate is the current period's spend so far per elapsed day (flat, no band).
    /// </summary>
    public static BudgetForecast Forecast(BudgetSnapshot budget, IEnumerable<DailySpend> dailySeries, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var series = dailySeries as IReadOnlyCollection<DailySpend> ?? dailySeries.ToList();
        var rate = BurnRate.Fit(series, today) ?? BurnRate.PeriodToDate(budget.Spent, budget.PeriodStart, now);
        var committed = budget.Spent + budget.Reserved;
        var end = budget.PeriodEnd;
        decimal Project(RateBand band) => committed + Accumulate(rate, band, now, end, null).Amount;
        DateTimeOffset? Exhaust(RateBand band)
        {
            if (committed >= budget.Limit) return now < end ? now : end;
            return Accumulate(rate, band, now, end, budget.Limit - committed).ReachedAt;
        }
        return new BudgetForecast(budget.BudgetId, budget.Level, budget.Name, now, budget.Limit, committed, end, rate,
            Project(RateBand.Low), Project(RateBand.Mid), Project(RateBand.High),
            Exhaust(RateBand.High), Exhaust(RateBand.Mid), Exhaust(RateBand.Low))
        {
            DaysOfData = series.Where(d => d.Usd > 0m && d.Day <= today).Select(d => d.Day).Distinct().Count(),
        };
    }

    /// <summary>Projected spend over [start, end) at the rate fitted on the series before <paramref name="now"/> (the organisation's next period).</summary>
    public static PeriodProjection ProjectPeriod(IEnumerable<DailySpend> dailySeries, DateTimeOffset start, DateTimeOffset end, DateTimeOffset now)
    {
        var rate = BurnRate.Fit(dailySeries, DateOnly.FromDateTime(now.UtcDateTime)) ?? BurnRate.Zero;
        return new PeriodProjection(start, end,
            Accumulate(rate, RateBand.Low, start, end, null).Amount,
            Accumulate(rate, RateBand.Mid, start, end, null).Amount,
            Accumulate(rate, RateBand.High, start, end, null).Amount, rate);
    }

    /// <summary>The calendar period after the one containing <paramref name="now"/>: next UTC month.</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) NextMonth(DateTimeOffset now)
    {
        var first = new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
        return (first, first.AddMonths(1));
    }

    /// <summary>
    /// Spend at <paramref name="rate"/> from <paramref name="from"/> to <paramref name="to"/>, day segment by day segment
    /// (each UTC day at its weekday's rate, pro rata for partial days); with a <paramref name="target"/>, also the instant
    /// the running total reaches it.
    /// </summary>
    private static (decimal Amount, DateTimeOffset? ReachedAt) Accumulate(BurnRate rate, RateBand band, DateTimeOffset from, DateTimeOffset to, decimal? target)
    {
        var total = 0m;
        var t = from.ToUniversalTime();
        for (var i = 0; i < MaxDays && t < to; i++)
        {
            var midnight = new DateTimeOffset(t.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
            var segmentEnd = midnight < to ? midnight : to;
            var perDay = rate.PerDay(t.UtcDateTime.DayOfWeek, band);
            var fraction = (decimal)(segmentEnd - t).Ticks / TimeSpan.TicksPerDay;
            var amount = perDay * fraction;
            if (target is { } goal && perDay > 0m && total + amount >= goal)
            {
                var days = (goal - total) / perDay;
                return (total + amount, t.AddTicks((long)(days * TimeSpan.TicksPerDay)));
            }
            total += amount;
            t = segmentEnd;
        }
        return (total, null);
    }
}
