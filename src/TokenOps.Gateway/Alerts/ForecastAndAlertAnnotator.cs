using System.Globalization;
using TokenOps.Core.Alerts;
using TokenOps.Core.Budgets;
using TokenOps.Storage;

namespace TokenOps.Gateway.Alerts;

/// <summary>
/// Fills the forecast and alert columns of `tokenops status` and GET /admin/status: the projected spend at period end
/// (with its band and the run-out day when it comes before the reset) and the alerts already raised this period.
/// </summary>
public sealed class ForecastAndAlertAnnotator(ISpendQueries spend, IAlertStore alerts, TimeProvider time) : IBudgetStatusAnnotator
{
    public BudgetStatusNotes Annotate(BudgetSnapshot snapshot)
    {
        var f = spend.Forecast(snapshot, time.GetUtcNow());
        var forecast = string.Create(CultureInfo.InvariantCulture, $"${f.Projected:0.00} (${f.ProjectedLow:0.00}-{f.ProjectedHigh:0.00})");
        if (f.RunsOutBeforePeriodEnd) forecast += string.Create(CultureInfo.InvariantCulture, $", out {f.Exhaustion!.Value.UtcDateTime:MMM d}");
        var raised = alerts.List(snapshot.PeriodStart)
            .Select(a => a.Alert)
            .Where(a => a.BudgetId == snapshot.BudgetId && a.PeriodStart == snapshot.PeriodStart)
            .OrderBy(a => a.CreatedAt)
            .Select(a => a.Kind == AlertKind.Threshold
                ? string.Create(CultureInfo.InvariantCulture, $"{a.Threshold}% reached")
                : string.Create(CultureInfo.InvariantCulture, $"forecast: runs out {a.ProjectedExhaustion?.UtcDateTime:MMM d}"))
            .ToList();
        return new BudgetStatusNotes(forecast, raised);
    }
}
