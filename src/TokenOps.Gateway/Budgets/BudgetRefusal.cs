using TokenOps.Core.Budgets;

namespace TokenOps.Gateway.Budgets;

/// <summary>The budget fields of a 402 body: which budget, how much was spent of what limit, and when it resets.</summary>
public sealed record BudgetRefusal(string Budget, decimal SpentUsd, decimal ReservedUsd, decimal LimitUsd, DateTimeOffset ResetsAt)
{
    public static BudgetRefusal From(BudgetSnapshot s) => new(s.BudgetId, s.Spent, s.Reserved, s.Limit, s.PeriodEnd);
}
