using System.Globalization;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;

namespace TokenOps.Cli.Demo;

/// <summary>The cost summary the demo prints: by team, person and model, from the ledger rows.</summary>
internal static class DemoSummary
{
    public static void Print(IReadOnlyList<LedgerEntry> rows, TextWriter output)
    {
        if (rows.Count == 0)
        {
            output.WriteLine();
            output.WriteLine("Ledger: no requests (the simulated days were a weekend); try more --days.");
            return;
        }
        var first = rows.Min(r => r.StartedAt);
        var last = rows.Max(r => r.StartedAt);
        var total = rows.Sum(r => r.CostNanos);
        output.WriteLine();
        output.WriteLine(Invariant($"Ledger: {rows.Count} requests from {first:yyyy-MM-dd} to {last:yyyy-MM-dd}, total {Usd(total)}"));
        output.WriteLine(Invariant($"  streamed {rows.Count(r => r.Streamed)}, failed {rows.Count(r => r.Outcome is not (LedgerOutcome.Ok or LedgerOutcome.Refused))}, refused by budgets {rows.Count(r => r.Outcome == LedgerOutcome.Refused)}, usage estimated {rows.Count(r => r.Estimated)}, priced by catalog {rows.FirstOrDefault(r => r.CatalogVersion is not null)?.CatalogVersion}"));
        Table(output, "By team", rows, r => r.Team ?? "-", total);
        Table(output, "By person", rows, r => $"{r.Person} ({r.Team})", total);
        Table(output, "By model", rows, r => r.ServedModel ?? "-", total);
        Table(output, "By project", rows, r => r.Project ?? "-", total);
        Savings(output, rows, total);
    }

    /// <summary>What each lever saved against the requests as asked (an estimate: the same tokens at the asked model's prices).</summary>
    private static void Savings(TextWriter output, IReadOnlyList<LedgerEntry> rows, long total)
    {
        var asked = rows.Sum(r => r.AsAskedNanos);
        output.WriteLine();
        output.WriteLine(Invariant($"Savings by lever (estimated: as asked {Usd(asked)}, paid {Usd(total)}, saved {Usd(asked - total)})"));
        output.WriteLine(Invariant($"{"LEVER",-28} {"REQUESTS",9} {"SAVED USD",12}"));
        foreach (var lever in SavingsLevers.All)
        {
            var applied = rows.Count(r => SavingsLevers.Applies(r.Levers, lever));
            output.WriteLine(Invariant($"{lever,-28} {applied,9} {Usd(rows.Sum(r => r.Savings.NanosOf(lever))),12}"));
        }
        var routed = rows.Where(r => r.RouteScore is not null).ToList();
        var moved = rows.Count(CheaperModel.Moved);
        output.WriteLine(Invariant($"Routed requests: {routed.Count}; moved to a cheaper model (routed or degraded): {moved} of {rows.Count} ({(rows.Count == 0 ? 0 : 100.0 * moved / rows.Count):0.0}%)"));
    }

    private static void Table(TextWriter output, string title, IReadOnlyList<LedgerEntry> rows, Func<LedgerEntry, string> key, long total)
    {
        output.WriteLine();
        output.WriteLine(Invariant($"{title,-28} {"REQUESTS",9} {"INPUT TOK",11} {"CACHED",10} {"OUTPUT TOK",11} {"COST USD",12} {"SHARE",6}"));
        foreach (var group in rows.GroupBy(key).OrderByDescending(g => g.Sum(r => r.CostNanos)))
        {
            var cost = group.Sum(r => r.CostNanos);
            output.WriteLine(Invariant(
                $"{Truncate(group.Key, 28),-28} {group.Count(),9} {group.Sum(r => r.Usage.TotalInput),11} {group.Sum(r => r.Usage.CacheRead),10} {group.Sum(r => r.Usage.Output),11} {Usd(cost),12} {(total == 0 ? 0 : 100.0 * cost / total),5:0.0}%"));
        }
    }

    private static string Usd(long nanos) => NanoUsd.ToUsd(nanos).ToString("$#,##0.0000", CultureInfo.InvariantCulture);

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
