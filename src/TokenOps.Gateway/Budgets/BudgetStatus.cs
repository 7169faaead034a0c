using TokenOps.Core.Budgets;

namespace TokenOps.Gateway.Budgets;

/// <summary>One budget's line in `tokenops status` and GET /admin/status. Forecast and Alerts come from <see cref="IBudgetStatusAnnotator"/>s.</summary>
public sealed record BudgetStatusLine(
    string Budget, string Level, string Name, string Mode, decimal LimitUsd, decimal SpentUsd, decimal ReservedUsd, decimal RemainingUsd,
    DateTimeOffset PeriodStart, DateTimeOffset ResetsAt, string? Forecast, IReadOnlyList<string> Alerts);

/// <summary>Status of the budgets that apply to a person (org, their team, them, their poker hand), a team (org, team), or all.</summary>
public static class BudgetStatus
{
    public static IReadOnlyList<BudgetStatusLine> Lines(BudgetBook book, string? person, string? team, DateTimeOffset now,
        IEnumerable<IBudgetStatusAnnotator> annotators)
    {
        IEnumerable<BudgetSnapshot> snapshots = person is null && team is null ? book.Current() : book.For(person, team, null, now);
        var notes = annotators.ToArray();
        return snapshots.Select(s =>
        {
            var policy = book.Policies.Find(s.BudgetId);
            var mode = s.Hard ? "hard" : "soft:" + BudgetPolicyBuilder.Format(policy?.SoftAction ?? SoftAction.Warn);
            var alerts = new List<string>();
            string? forecast = null;
            if (!s.Hard && s.Remaining < 0) alerts.Add("past its soft limit");
            foreach (var a in notes)
            {
                var n = a.Annotate(s);
                forecast ??= n.Forecast;
                alerts.AddRange(n.Alerts);
            }
            return new BudgetStatusLine(s.BudgetId, s.Level.ToString().ToLowerInvariant(), s.Name, mode, s.Limit, s.Spent, s.Reserved,
                s.Remaining, s.PeriodStart, s.PeriodEnd, forecast, alerts);
        }).ToList();
    }
}
