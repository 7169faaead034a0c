using TokenOps.Core.Budgets;

namespace TokenOps.Storage;

/// <summary>
/// Budgets set from the CLI or admin API, and (as <see cref="ISpendHistory"/>) the ledger spend that opens budget
/// counters. Every change bumps <see cref="Version"/>, so a gateway on the same store sees it by polling.
/// </summary>
public interface IBudgetStore : ISpendHistory
{
    long Version();

    IReadOnlyList<StoredBudget> List();

    /// <summary>Inserts or replaces the budget with this id.</summary>
    void Set(StoredBudget b);

    /// <summary>False when no budget has this id.</summary>
    bool Delete(string id);
}

/// <summary>A budget as stored: money in nano-USD, period and enums as text, the time zone as its id.</summary>
public sealed record StoredBudget(
    string Id, BudgetLevel Level, string Name, long LimitNanos, string Period, string TimeZone,
    BudgetMode Mode, SoftAction SoftAction, bool Rollover, long RolloverCeilingNanos, DateTimeOffset UpdatedAt);
