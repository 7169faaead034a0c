using TokenOps.Core.Budgets;

namespace TokenOps.Storage.Audit;

/// <summary>Every budget set or deleted leaves an audit entry with the budget before and after (money in nano-USD, as stored).</summary>
public sealed class AuditedBudgetStore(IBudgetStore inner, AuditRecorder audit) : IBudgetStore
{
    public void Set(StoredBudget b)
    {
        var before = inner.List().FirstOrDefault(x => x.Id == b.Id);
        inner.Set(b);
        audit.Record("budgets.set", "budget:" + b.Id, before is null ? null : Shown(before), Shown(b));
    }

    public bool Delete(string id)
    {
        var before = inner.List().FirstOrDefault(x => x.Id == id);
        var deleted = inner.Delete(id);
        if (deleted) audit.Record("budgets.delete", "budget:" + id, before is null ? null : Shown(before), null);
        return deleted;
    }

    public long Version() => inner.Version();

    public IReadOnlyList<StoredBudget> List() => inner.List();

    public long SpentNanos(BudgetPolicy policy, DateTimeOffset from, DateTimeOffset to) => inner.SpentNanos(policy, from, to);

    /// <summary>The fields people change (the update time is the entry's own).</summary>
    private static object Shown(StoredBudget b) => new
    {
        b.Id, b.Level, b.Name, b.LimitNanos, b.Period, b.TimeZone, b.Mode, b.SoftAction, b.Rollover, b.RolloverCeilingNanos,
    };
}
