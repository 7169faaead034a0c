using TokenOps.Core.Budgets;
using TokenOps.Core.Forecasting;
using TokenOps.Core.Poker;

namespace TokenOps.Storage;

/// <summary>One served model priced by estimate: its rows, their cost, and the last one's start.</summary>
public sealed record EstimatedPriceUse(string Model, long Requests, long CostNanos, DateTimeOffset LastAt);

/// <summary>Ledger reads for forecasts and token poker: daily spend per budget scope, and each person's week.</summary>
public interface ISpendQueries
{
    /// <summary>
    /// Spend per UTC day, for the whole days covering [from, until), in a budget's scope (a person, team or project by
    /// name, or the whole organisation). Days without spend are absent (the forecaster counts them as 0).
    /// </summary>
    IReadOnlyList<DailySpend> Daily(BudgetLevel level, string name, DateTimeOffset from, DateTimeOffset until);

    /// <summary>
    /// The series the forecaster needs at <paramref name="now"/>: the lookback window's days, plus a zero day just before
    /// it when the scope spent earlier, so that quiet weeks count as zeros rather than as a short history.
    /// </summary>
    IReadOnlyList<DailySpend> ForecastSeries(BudgetLevel level, string name, DateTimeOffset now);

    /// <summary>The budget's forecast at <paramref name="now"/> from its scope's daily spend.</summary>
    BudgetForecast Forecast(BudgetSnapshot budget, DateTimeOffset now) =>
        BudgetForecaster.Forecast(budget, ForecastSeries(budget.Level, budget.Name, now), now);

    /// <summary>The whole organisation's spend projected over [start, end), from its last four weeks.</summary>
    PeriodProjection OrganisationNextPeriod(DateTimeOffset start, DateTimeOffset end, DateTimeOffset now) =>
        BudgetForecaster.ProjectPeriod(ForecastSeries(BudgetLevel.Organisation, "", now), start, end, now);

    /// <summary>
    /// Models whose rows in [from, until) were priced by the family fallback (flagged price_estimated), with the
    /// requests and cost so priced, dearest first.
    /// </summary>
    IReadOnlyList<EstimatedPriceUse> EstimatedPrices(DateTimeOffset from, DateTimeOffset until);

    /// <summary>Every person's activity in [from, until): people with keys (at zero when idle) and anyone in the ledger.</summary>
    IReadOnlyList<PokerActivity> PokerWeek(DateTimeOffset from, DateTimeOffset until);
}
