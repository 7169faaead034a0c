using TokenOps.Core.Budgets;

namespace TokenOps.Core.Tests.Budgets;

/// <summary>A ledger stand-in: (budget id, instant, nanos) rows.</summary>
internal sealed class FakeSpendHistory : ISpendHistory
{
    public List<(string Id, DateTimeOffset At, long Nanos)> Rows { get; } = [];

    public long SpentNanos(BudgetPolicy policy, DateTimeOffset from, DateTimeOffset to) =>
        Rows.Where(r => r.Id == policy.Id && r.At >= from && r.At < to).Sum(r => r.Nanos);
}
