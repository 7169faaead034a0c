using System.Globalization;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;
using TokenOps.Core.Outcomes;
using TokenOps.Core.Poker;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Outcomes;
using TokenOps.Storage;

namespace TokenOps.Cli.Demo;

/// <summary>
/// What the product did with the organisation's policy, after the traffic: budget status with forecasts, how many requests
/// were degraded or refused (counted from the ledger), the alerts raised, the token-poker leaderboard, and cost per merged PR
/// with ROI. Read from the running gateway's own services, at the demo clock's instant.
/// </summary>
internal static class DemoReport
{
    public static void Print(IServiceProvider services, GatewayOptions options, IReadOnlyList<LedgerEntry> rows, DateTimeOffset since, DateTimeOffset asOf, TextWriter output)
    {
        Budgets(services, options, asOf, output);
        Enforcement(rows, output);
        Alerts(services, output);
        Poker(services, asOf, output);
        Outcomes(services, since, asOf, output);
    }

    /// <summary>Requests served by a cheaper model: their ledger row's budget_action starts with "degraded:".</summary>
    public static int DegradedCount(IEnumerable<LedgerEntry> rows) => rows.Count(r => r.BudgetAction?.StartsWith("degraded:", StringComparison.Ordinal) == true);

    /// <summary>Requests a hard budget refused: HTTP 402 in the ledger.</summary>
    public static int RefusedCount(IEnumerable<LedgerEntry> rows) => rows.Count(r => r.Status == 402);

    private static void Budgets(IServiceProvider services, GatewayOptions options, DateTimeOffset asOf, TextWriter output)
    {
        var engine = services.GetRequiredService<BudgetEngine>();
        var spend = services.GetRequiredService<ISpendQueries>();
        var budgets = engine.Current().Where(b => !b.BudgetId.StartsWith(BudgetPolicy.PokerPrefix, StringComparison.Ordinal))
            .OrderBy(b => b.Level).ThenBy(b => b.Name, StringComparer.Ordinal).ToList();
        output.WriteLine();
        output.WriteLine(Invariant($"Budgets at {asOf:yyyy-MM-dd HH:mm} UTC (end of the simulated history); forecast = projected spend at period end"));
        output.WriteLine(Invariant($"{"BUDGET",-18} {"PERIOD",-8} {"MODE",-13} {"SPENT",9} {"LIMIT",9} {"REMAINING",10} {"USED",6} {"FORECAST",9}  {"PERIOD ENDS",-11} RUNS OUT"));
        foreach (var b in budgets)
        {
            var policy = engine.Policies.Find(b.BudgetId);
            var mode = policy is null ? "-" : policy.Hard ? "hard (402)" : "soft: " + BudgetPolicyBuilder.Format(policy.SoftAction);
            var forecast = spend.Forecast(b, asOf);
            var runsOut = b.Remaining <= 0 ? "already past its limit"
                : forecast.RunsOutBeforePeriodEnd && forecast.Exhaustion is { } e ? e.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "-";
            var label = b.Level == BudgetLevel.Organisation ? "organisation" : $"{b.Level.ToString().ToLowerInvariant()} {b.Name}";
            output.WriteLine(Invariant(
                $"{label,-18} {policy?.Period.ToString() ?? "-",-8} {mode,-13} {Usd(b.Spent),9} {Usd(b.Limit),9} {Usd(b.Remaining),10} {(b.Limit == 0 ? 0 : 100 * b.Spent / b.Limit),5:0}% {Usd(forecast.Projected),9}  {b.PeriodEnd.AddTicks(-1):yyyy-MM-dd}  {runsOut}"));
        }
        foreach (var (name, tier) in options.Budgets.Tiers)
            output.WriteLine(Invariant(
                $"  tier {name}: {string.Join(", ", tier.People)}; models: {(tier.AllowedModels is { } allowed ? string.Join(", ", allowed) : "any")}; degrades to {(tier.DegradeModels.Count > 0 ? string.Join(", ", tier.DegradeModels.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Value} ({d.Key})")) : tier.DegradeModel ?? "-")}"));
        output.WriteLine(Invariant($"  every person also holds a weekly token-poker hand of {Usd(options.Poker.WeeklyHandUsd)} (hard)"));
    }

    private static void Enforcement(IReadOnlyList<LedgerEntry> rows, TextWriter output)
    {
        var refused = rows.Where(r => r.Status == 402).ToList();
        var degraded = rows.Where(r => r.BudgetAction?.StartsWith("degraded:", StringComparison.Ordinal) == true).ToList();
        var warned = rows.Count(r => r.BudgetAction?.Contains("warned:", StringComparison.Ordinal) == true);
        output.WriteLine();
        output.WriteLine("Enforcement, counted from the ledger:");
        output.WriteLine(Invariant($"  degraded to a cheaper model: {degraded.Count,5}  {Breakdown(degraded, r => r.BudgetAction!.Split(';')[0]["degraded:".Length..] + " (" + r.Person + ")")}"));
        output.WriteLine(Invariant($"  refused with HTTP 402:       {refused.Count,5}  {Breakdown(refused, r => r.Person + " (" + (r.RequestedModel ?? r.ServedModel) + ")")}"));
        output.WriteLine(Invariant($"  served with a budget warning:{warned,5}  (X-TokenOps-Budget-Warning header, soft budgets with the warn action)"));
    }

    private static string Breakdown(IEnumerable<LedgerEntry> rows, Func<LedgerEntry, string> key) =>
        string.Join(", ", rows.GroupBy(key).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(4).Select(g => $"{g.Key} ×{g.Count()}"));

    private static void Alerts(IServiceProvider services, TextWriter output)
    {
        var alerts = services.GetRequiredService<IAlertStore>().List().Select(s => s.Alert).OrderBy(a => a.CreatedAt).ThenBy(a => a.BudgetId, StringComparer.Ordinal).ToList();
        const int shown = 10;
        output.WriteLine();
        output.WriteLine(Invariant($"Alerts raised: {alerts.Count} ({alerts.Count(a => a.Kind == Core.Alerts.AlertKind.Threshold)} threshold, {alerts.Count(a => a.Kind == Core.Alerts.AlertKind.Forecast)} forecast){(alerts.Count > shown ? $", the last {shown}:" : "")}"));
        foreach (var a in alerts.Skip(Math.Max(0, alerts.Count - shown)))
            output.WriteLine(Invariant($"  {a.CreatedAt:yyyy-MM-dd}  {a.Kind.ToString().ToLowerInvariant(),-9} {a.Message}"));
    }

    private static void Poker(IServiceProvider services, DateTimeOffset asOf, TextWriter output)
    {
        var game = services.GetRequiredService<PokerGame>();
        var board = game.Leaderboard(game.WeekStart(asOf));
        output.WriteLine();
        output.WriteLine(Invariant($"Token poker, week of {board.WeekStart:yyyy-MM-dd}, scoring {board.Scoring} (score = outcome value / spent), top 5 of {board.Rows.Count}:"));
        output.WriteLine(Invariant($"{"RANK",4} {"PLAYER",-8} {"TEAM",-9} {"HAND",7} {"SPENT",9} {"REQS",5} {"SCORE",12}"));
        foreach (var r in board.Rows.Take(5))
            output.WriteLine(Invariant($"{r.Rank,4} {r.Player,-8} {r.Team ?? "-",-9} {Usd(r.Hand),7} {Usd(r.Spent),9} {r.Requests,5} {r.Score,12:#,##0.##}{(r.Winner ? "  winner" : "")}"));
    }

    private static void Outcomes(IServiceProvider services, DateTimeOffset since, DateTimeOffset asOf, TextWriter output)
    {
        var report = services.GetRequiredService<OutcomeService>().Report(new ReportPeriod(since, asOf), by: null);
        var prs = report.ByType.FirstOrDefault(t => t.Type == "pr")?.CostPerOutcome ?? Distribution.Empty;
        var authors = report.Outcomes.Where(o => o.Type == "pr").Select(o => o.Person).Distinct().Count();
        output.WriteLine();
        output.WriteLine(Invariant($"Outcomes: {prs.Count} merged PRs by {authors} people (GitHub webhooks, HMAC-signed); cost per merged PR: median {Usd(prs.Median)}, mean {Usd(prs.Mean)}, p90 {Usd(prs.P90)}"));
        output.WriteLine(Invariant($"  linked {Usd(report.Spend.LinkedUsd)} of {Usd(report.Spend.TotalUsd)} spend to a PR ({100 * report.Spend.UnlinkedShare:0}% unlinked); all-in {(report.AllIn.CostPerOutcomeUsd is { } allIn ? Usd(allIn) : "-")} per outcome"));
        output.WriteLine($"  {report.Roi.Formula}");
    }

    private static string Usd(decimal usd) => usd.ToString(Math.Abs(usd) < 10 ? "$0.0000;-$0.0000" : "$#,##0.00;-$#,##0.00", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
