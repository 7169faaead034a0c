using TokenOps.Core.Budgets;
using TokenOps.Core.Metering;

namespace TokenOps.Core.Planning;

/// <summary>
/// Replays ledger rows, in time order, through a proposed budget policy with the gateway's own classes: the
/// <see cref="BudgetPolicySet"/> says which budgets a request falls under, a <see cref="BudgetBook"/> counts their
/// periods, rollover and soft overruns, and each request then meets what admission would do to it, in the same order:
/// a tier that does not allow the model refuses it; soft budgets past their limit ask for a justification, degrade it
/// to the tier's cheaper model, or warn; a hard budget it would take past its limit refuses it (402). Served requests
/// are booked at what they cost (a degraded one at the cheaper model's price for the same tokens); refused ones book
/// nothing, which is the spend the budget would have stopped.
/// </summary>
/// <remarks>
/// A request is checked against what it actually cost, not the worst case the gateway reserves before forwarding (the
/// ledger does not keep max_tokens), so a hard budget refuses slightly later here than it would live; output clamping
/// and requests nobody sent (refused in reality) are not replayed. Counters open with the ledger's spend before the
/// replay's start (the current periods' earlier spend), through <paramref name="history"/>.
/// </remarks>
public sealed class PolicySimulator(BudgetPolicySet policies, ISpendHistory history, DateTimeOffset replayStart,
    Func<string, TokenUsage, long?>? reprice = null, string? defaultDegradeModel = null)
{
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(1);

    public PolicySimulation Run(IEnumerable<ReplayRow> rows)
    {
        var book = new BudgetBook(new SpendBefore(history, replayStart));
        book.Apply(policies);
        var budgets = policies.Configured.ToDictionary(p => p.Id, p => new BudgetOutcome(p.Id, p.Level, p.Name, p), StringComparer.Ordinal);
        var people = new Dictionary<string, PersonOutcome>(StringComparer.Ordinal);
        long requests = 0, recorded = 0, simulated = 0, stopped = 0, saved = 0;

        BudgetOutcome Budget(BudgetPolicy p) => budgets.TryGetValue(p.Id, out var b) ? b : budgets[p.Id] = new BudgetOutcome(p.Id, p.Level, p.Name, p);
        void Tally(ReplayRow row, SimulatedAction action, BudgetOutcome budget, long nanos)
        {
            budget.Of(action).Add(row, nanos);
            if (row.Person is not { } person) return;
            if (!people.TryGetValue(person, out var who)) people[person] = who = new PersonOutcome(person, row.Team);
            // A request counts once per person and action, however many budgets took it.
            var tally = who.Of(action);
            if (tally.LastRequest != row.Id) tally.Add(row, nanos);
        }

        foreach (var row in rows)
        {
            requests++;
            recorded += row.CostNanos;
            var at = row.StartedAt;
            var tier = row.Person is { } person ? policies.TierOf(person) : null;
            if (tier is not null && !tier.Allows(row.Model))
            {
                var allowList = budgets.TryGetValue("tier:" + tier.Name, out var t) ? t : budgets["tier:" + tier.Name] = new BudgetOutcome("tier:" + tier.Name, null, tier.Name, null);
                Tally(row, SimulatedAction.Refused, allowList, row.CostNanos);
                stopped += row.CostNanos;
                continue;
            }
            var applicable = policies.Applicable(row.Person, row.Team, row.Project);
            if (applicable.Count == 0)
            {
                simulated += row.CostNanos;
                continue;
            }
            var counters = book.CountersFor(applicable, at);
            var cost = row.CostNanos;
            foreach (var c in book.SoftOverruns(counters, cost, at))
            {
                BudgetBook.CountWarning(c);
                var budget = Budget(c.Policy);
                switch (c.Policy.SoftAction)
                {
                    case SoftAction.RequireJustification:
                        Tally(row, SimulatedAction.JustificationRequired, budget, cost);
                        break;
                    case SoftAction.Degrade when (tier?.DegradeModel ?? defaultDegradeModel) is { } cheaper && cheaper != row.Model
                                                 && reprice?.Invoke(cheaper, row.Usage) is { } degraded:
                        Tally(row, SimulatedAction.Degraded, budget, Math.Max(0, cost - degraded));
                        cost = Math.Min(cost, degraded);
                        break;
                    default:
                        // Warn, or a degrade with no cheaper model to go to: the gateway then only warns.
                        Tally(row, SimulatedAction.Warned, budget, cost);
                        break;
                }
            }
            saved += row.CostNanos - cost;
            var result = book.TryReserve(counters, cost, at, Hold);
            if (result.Reservation is null)
            {
                Tally(row, SimulatedAction.Refused, Budget(policies.Find(result.RefusedBy!.BudgetId)!), cost);
                stopped += cost;
                saved -= row.CostNanos - cost;
                continue;
            }
            book.Settle(result.Reservation, cost);
            simulated += cost;
        }
        return new PolicySimulation(requests, recorded, simulated, stopped, saved,
            budgets.Values.OrderBy(b => b.Level is null ? 5 : (int)b.Level).ThenBy(b => b.Id, StringComparer.Ordinal).ToList(),
            people.Values.OrderBy(p => p.Person, StringComparer.Ordinal).ToList());
    }

    /// <summary>The ledger's spend before the replay starts; the replay books the rest itself.</summary>
    private sealed class SpendBefore(ISpendHistory ledger, DateTimeOffset start) : ISpendHistory
    {
        public long SpentNanos(BudgetPolicy policy, DateTimeOffset from, DateTimeOffset to) =>
            from >= start ? 0 : ledger.SpentNanos(policy, from, to < start ? to : start);
    }
}
