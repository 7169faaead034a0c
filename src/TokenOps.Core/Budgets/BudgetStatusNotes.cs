namespace TokenOps.Core.Budgets;

/// <summary>
/// The forecast and alert columns of `tokenops status` and GET /admin/status. The forecasting/alerts feature registers
/// an implementation through DI; without one the columns stay empty. This is the plug-in point for those columns.
/// </summary>
public interface IBudgetStatusAnnotator
{
    BudgetStatusNotes Annotate(BudgetSnapshot snapshot);
}

/// <summary>For example Forecast = "on pace to run out on 2026-11-27", Alerts = ["80% of limit reached"].</summary>
public sealed record BudgetStatusNotes(string? Forecast, IReadOnlyList<string> Alerts)
{
    public static readonly BudgetStatusNotes None = new(null, []);
}
