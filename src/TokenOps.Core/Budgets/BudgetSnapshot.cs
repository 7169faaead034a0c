namespace TokenOps.Core.Budgets;

/// <summary>The level a budget belongs to. Budgets belong to people, teams, projects and the organisation, never to keys.</summary>
public enum BudgetLevel
{
    Organisation,
    Team,
    Person,
    Project,
}

/// <summary>
/// One budget in its current period, as enforcement sees it: what alerts, forecasts, status and the dashboard read.
/// Money is decimal USD; <see cref="Limit"/> already includes rollover and allowances (poker bonuses).
/// </summary>
public sealed record BudgetSnapshot(
    string BudgetId,
    BudgetLevel Level,
    string Name,
    decimal Limit,
    decimal Spent,
    decimal Reserved,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    bool Hard)
{
    public decimal Remaining => Limit - Spent - Reserved;
}

/// <summary>Current snapshots of every configured budget (implemented by the enforcement engine).</summary>
public interface IBudgetSnapshots
{
    IReadOnlyList<BudgetSnapshot> Current();
}

/// <summary>
/// Extra allowance a budget gets for one period on top of its configured limit (for example a token-poker winner's bonus).
/// The enforcement engine sums every registered allowance when it opens a period.
/// </summary>
public interface IBudgetAllowance
{
    decimal ExtraFor(BudgetLevel level, string name, DateTimeOffset periodStart);
}
