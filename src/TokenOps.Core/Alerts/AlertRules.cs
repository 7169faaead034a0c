using System.Globalization;
using TokenOps.Core.Budgets;
using TokenOps.Core.Forecasting;

namespace TokenOps.Core.Alerts;

/// <summary>
/// Warnings before limits, not after: threshold alerts (default 50, 80 and 100 percent of the limit) and a forecast alert
/// when the budget is on pace to run out before its period ends. Pure: snapshot and forecast in, alerts out; storage
/// makes each one unique per budget and period.
/// </summary>
public sealed class AlertRules
{
    public static readonly IReadOnlyList<int> DefaultThresholds = [50, 80, 100];

    /// <summary>A forecast alert needs spend on at least this many distinct days (one burst is not a burn rate).</summary>
    public const int DefaultForecastMinDays = 3;

    /// <summary>...and daily spend no more unsteady than this (<see cref="BurnRate.Variation"/>: standard deviation over mean).</summary>
    public const decimal DefaultForecastMaxVariation = 1.0m;

    private readonly int[] _thresholds;
    private readonly bool _forecasts;
    private readonly int _forecastMinDays;
    private readonly decimal _forecastMaxVariation;

    public AlertRules(IEnumerable<int>? thresholds = null, bool forecasts = true, int forecastMinDays = DefaultForecastMinDays,
        decimal forecastMaxVariation = DefaultForecastMaxVariation)
    {
        _thresholds = (thresholds ?? DefaultThresholds).Distinct().Order().ToArray();
        if (_thresholds.Any(t => t is <= 0 or > 1000)) throw new ArgumentException("thresholds must be percentages between 1 and 1000");
        if (forecastMinDays < 1) throw new ArgumentException("the forecast's minimum days of data must be at least 1");
        if (forecastMaxVariation < 0m) throw new ArgumentException("the forecast's maximum variation must not be negative");
        _forecasts = forecasts;
        _forecastMinDays = forecastMinDays;
        _forecastMaxVariation = forecastMaxVariation;
    }

    /// <summary>
    /// True when the forecast rests on enough evidence to warn people: spend on enough distinct days, a rate fitted from
    /// daily history (not the period so far extrapolated), and daily spend steady enough. A new user's first burst, or one
    /// expensive day among quiet ones, projects an exhaustion day nobody should be paged about.
    /// </summary>
    public bool Trusts(BudgetForecast forecast) =>
        forecast.DaysOfData >= _forecastMinDays && forecast.Rate.Basis == BurnRate.BasisHistory && forecast.Rate.Variation <= _forecastMaxVariation;

    public IReadOnlyList<int> Thresholds => _thresholds;

    /// <summary>
    /// The alerts this budget deserves now: the highest threshold its spend has crossed (lower ones it jumped past are not
    /// sent late: the higher one says more), and the forecast alert when the mean-rate exhaustion falls at least one day
    /// before the period end while spend is still under the limit, and the forecast is trusted (<see cref="Trusts"/>).
    /// </summary>
    public IReadOnlyList<Alert> Evaluate(BudgetSnapshot budget, BudgetForecast? forecast, DateTimeOffset now)
    {
        var alerts = new List<Alert>(2);
        if (budget.Limit > 0m)
        {
            var percent = budget.Spent / budget.Limit * 100m;
            int? crossed = null;
            foreach (var t in _thresholds) if (percent >= t) crossed = t;
            if (crossed is { } threshold)
                alerts.Add(Make(budget, AlertKind.Threshold, threshold, null, ThresholdMessage(budget, threshold), now));
        }
        if (_forecasts && forecast is { RunsOutBeforePeriodEnd: true, Exhaustion: { } exhaustion, DaysEarly: >= 1 } && budget.Spent < budget.Limit && Trusts(forecast))
            alerts.Add(Make(budget, AlertKind.Forecast, null, exhaustion, ForecastMessage(budget, exhaustion, forecast.DaysEarly!.Value), now));
        return alerts;
    }

    /// <summary>"team payments", "person ada", "project apollo", "organisation acme".</summary>
    public static string Label(BudgetLevel level, string name) => $"{level.ToString().ToLowerInvariant()} {name}";

    public static string ThresholdMessage(BudgetSnapshot b, int threshold) => string.Create(CultureInfo.InvariantCulture,
        $"{Label(b.Level, b.Name)} has used {threshold}% of its budget: ${b.Spent:0.00} of ${b.Limit:0.00}, period ends {Day(b.PeriodEnd)}.");

    /// <summary>"At the current burn rate team payments runs out on 26 November, 5 days before the period ends."</summary>
    public static string ForecastMessage(BudgetSnapshot b, DateTimeOffset exhaustion, int daysEarly) => string.Create(CultureInfo.InvariantCulture,
        $"At the current burn rate {Label(b.Level, b.Name)} runs out on {Day(exhaustion)}, {daysEarly} day{(daysEarly == 1 ? "" : "s")} before the period ends (${b.Spent:0.00} of ${b.Limit:0.00} spent).");

    private static string Day(DateTimeOffset t) => t.UtcDateTime.ToString("d MMMM", CultureInfo.InvariantCulture);

    private static Alert Make(BudgetSnapshot b, AlertKind kind, int? threshold, DateTimeOffset? exhaustion, string message, DateTimeOffset now)
    {
        var key = Alert.KeyFor(b.BudgetId, b.PeriodStart, kind, threshold);
        return new Alert(Alert.IdFor(key), key, kind, b.BudgetId, b.Level, b.Name, threshold, b.Spent, b.Limit, exhaustion,
            b.PeriodStart, b.PeriodEnd, message, now);
    }
}
