using TokenOps.Core.Alerts;
using TokenOps.Core.Budgets;
using TokenOps.Core.Forecasting;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.Alerts;

/// <summary>
/// Evaluates alert rules against every current budget (from <see cref="IBudgetSnapshots"/>, when one is registered) and
/// records new alerts with one outbox row per configured webhook. Evaluating the same situation again adds nothing.
/// </summary>
public sealed class AlertEngine(IAlertStore store, ISpendQueries spend, AlertOptions options, TimeProvider time, IBudgetSnapshots? budgets = null)
{
    private readonly AlertRules _rules = new(options.EffectiveThresholds, options.Forecasts, options.ForecastMinDays, options.ForecastMaxVariation);

    /// <summary>Whether there are budgets to evaluate (false until the budgets engine registers <see cref="IBudgetSnapshots"/>).</summary>
    public bool HasBudgets => budgets is not null;

    /// <summary>Runs every rule once; returns the alerts that were new.</summary>
    public IReadOnlyList<Alert> Evaluate()
    {
        if (budgets is null) return [];
        var now = time.GetUtcNow();
        var webhooks = options.Webhooks.Select(w => w.Id).ToList();
        var added = new List<Alert>();
        foreach (var budget in budgets.Current())
        {
            if (!options.Covers(budget.Level)) continue;
            var forecast = options.Forecasts ? spend.Forecast(budget, now) : null;
            foreach (var alert in _rules.Evaluate(budget, forecast, now))
                if (store.TryAdd(alert, webhooks)) added.Add(alert);
        }
        return added;
    }

    /// <summary>Every budget's forecast now.</summary>
    public IReadOnlyList<BudgetForecast> Forecasts()
    {
        if (budgets is null) return [];
        var now = time.GetUtcNow();
        return budgets.Current().Select(b => spend.Forecast(b, now)).ToList();
    }

    /// <summary>
    /// The organisation's spend projected over its next period: the organisation budget's next period when there is one
    /// (same length, starting at its end), else the next calendar month (UTC).
    /// </summary>
    public PeriodProjection OrganisationNextPeriod()
    {
        var now = time.GetUtcNow();
        var org = budgets?.Current().FirstOrDefault(b => b.Level == BudgetLevel.Organisation);
        var (start, end) = org is not null ? (org.PeriodEnd, org.PeriodEnd + (org.PeriodEnd - org.PeriodStart)) : BudgetForecaster.NextMonth(now);
        return spend.OrganisationNextPeriod(start, end, now);
    }
}
