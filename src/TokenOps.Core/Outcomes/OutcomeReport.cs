using System.Globalization;
using TokenOps.Core.Pricing;

namespace TokenOps.Core.Outcomes;

/// <summary>Every figure of an outcomes report for one period: spend reconciliation, cost per outcome, groups, trend, baseline, ROI.</summary>
public sealed record OutcomeReport(
    ReportPeriod Period,
    SpendReconciliation Spend,
    Distribution CostPerOutcome,
    AllInCost AllIn,
    IReadOnlyList<TypeFigures> ByType,
    string? By,
    IReadOnlyList<GroupFigures> Groups,
    IReadOnlyList<TrendPoint> Trend,
    BaselineComparison? Baseline,
    string? BaselineNote,
    RoiFigure Roi,
    IReadOnlyList<OutcomeCost> Outcomes)
{
    public static readonly string[] Dimensions = ["person", "team", "project"];

    /// <summary>Builds the report for <paramref name="period"/> from an analysis that has seen the ledger rows.</summary>
    /// <param name="baseline">Optional (before, after, basis): compared outcomes per week and cost per outcome.</param>
    public static OutcomeReport Build(OutcomeLedgerAnalysis analysis, OutcomeValuation valuation, ReportPeriod period, string? by,
        (ReportPeriod Before, ReportPeriod After, string Basis)? baseline = null, string? baselineNote = null)
    {
        if (by is not null && !Dimensions.Contains(by)) throw new ArgumentException($"by must be one of {string.Join(", ", Dimensions)}.", nameof(by));
        var spend = analysis.Spend(period);
        var outcomes = analysis.Linker.Outcomes.Where(o => period.Contains(o.CompletedAt))
            .OrderBy(o => o.CompletedAt).ThenBy(o => o.Id, StringComparer.Ordinal).ToList();
        var costs = outcomes.Select(analysis.LinkedUsd).ToList();

        var byType = outcomes.GroupBy(o => o.Type).OrderBy(g => g.Key)
            .Select(g => new TypeFigures(OutcomeTypes.Name(g.Key), Distribution.Of(g.Select(analysis.LinkedUsd)))).ToList();

        var groups = new List<GroupFigures>();
        if (by is not null)
        {
            var spendGroups = spend.By(by);
            var outcomeGroups = outcomes.GroupBy(o => Key(o, by) ?? PeriodSpend.None, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);
            foreach (var key in spendGroups.Keys.Union(outcomeGroups.Keys, StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal))
            {
                var s = spendGroups.GetValueOrDefault(key);
                var os = outcomeGroups.GetValueOrDefault(key) ?? [];
                var total = NanoUsd.ToUsd(s?.TotalNanos ?? 0);
                var roi = RoiFigure.Compute(os, total, valuation);
                groups.Add(new GroupFigures(key, os.Count, Distribution.Of(os.Select(analysis.LinkedUsd)), total,
                    NanoUsd.ToUsd(s?.LinkedNanos ?? 0), NanoUsd.ToUsd(s?.UnlinkedNanos ?? 0), Share(s?.UnlinkedNanos ?? 0, s?.TotalNanos ?? 0),
                    roi.ValueUsd, roi.Roi, roi.Formula));
            }
        }

        var trend = new List<TrendPoint>();
        var weeks = spend.ByWeekNanos.Keys.Union(outcomes.Select(o => Weeks.Start(o.CompletedAt))).Order().ToList();
        foreach (var week in weeks)
        {
            var inWeek = outcomes.Where(o => Weeks.Start(o.CompletedAt) == week).Select(analysis.LinkedUsd).ToList();
            var weekSpend = NanoUsd.ToUsd(spend.ByWeekNanos.GetValueOrDefault(week));
            var d = Distribution.Of(inWeek);
            trend.Add(new TrendPoint(week, d.Count, d.Median, d.Mean, weekSpend, d.Count == 0 ? null : Usd(weekSpend / d.Count)));
        }

        BaselineComparison? comparison = null;
        if (baseline is { } b)
            comparison = BaselineComparison.Compare(Figures(analysis, b.Before, "before"), Figures(analysis, b.After, "after"), b.Basis);

        var totalUsd = NanoUsd.ToUsd(spend.TotalNanos);
        var items = outcomes.Select(o =>
        {
            var v = valuation.Value(o);
            return new OutcomeCost(o.Id, OutcomeTypes.Name(o.Type), o.Title, o.Person, o.Team, o.Project, o.CompletedAt, analysis.LinkedUsd(o), v.Usd, v.Basis);
        }).ToList();
        return new OutcomeReport(period, SpendReconciliation.Of(spend), Distribution.Of(costs), AllInCost.Of(totalUsd, outcomes.Count), byType, by, groups,
            trend, comparison, baselineNote, RoiFigure.Compute(outcomes, totalUsd, valuation, valuation.OtherCost(period)), items);
    }

    public static BaselinePeriodFigures Figures(OutcomeLedgerAnalysis analysis, ReportPeriod period, string label)
    {
        var outcomes = analysis.Linker.Outcomes.Where(o => period.Contains(o.CompletedAt)).ToList();
        var d = Distribution.Of(outcomes.Select(analysis.LinkedUsd));
        var spendUsd = NanoUsd.ToUsd(analysis.Spend(period).TotalNanos);
        var perWeek = period.Days <= 0 ? 0 : decimal.Round(outcomes.Count / period.Days * 7, 4, MidpointRounding.AwayFromZero);
        return new BaselinePeriodFigures(label, period.Since, period.Until, outcomes.Count, perWeek, d.Median, d.Mean, spendUsd,
            outcomes.Count == 0 ? null : Usd(spendUsd / outcomes.Count));
    }

    private static string? Key(Outcome o, string by) => by switch { "person" => o.Person, "team" => o.Team, _ => o.Project };

    internal static decimal Share(long part, long total) => total == 0 ? 0 : decimal.Round((decimal)part / total, 6, MidpointRounding.AwayFromZero);

    internal static decimal Usd(decimal usd) => decimal.Round(usd, 9, MidpointRounding.AwayFromZero);
}

/// <summary>The period's ledger total, split so that linked + unlinked = total exactly (integer nano-USD).</summary>
public sealed record SpendReconciliation(
    long Rows,
    decimal TotalUsd,
    decimal LinkedUsd,
    decimal UnlinkedUsd,
    decimal UnlinkedShare,
    IReadOnlyDictionary<string, decimal> LinkedUsdByRule,
    long TotalNanos,
    long LinkedNanos,
    long UnlinkedNanos,
    bool Reconciles,
    string Check)
{
    public static SpendReconciliation Of(PeriodSpend s)
    {
        var byRule = Enum.GetValues<LinkRule>().Where(r => r != LinkRule.Unlinked)
            .ToDictionary(RuleName, r => NanoUsd.ToUsd(s.ByRuleNanos.GetValueOrDefault(r)));
        var reconciles = s.LinkedNanos + s.UnlinkedNanos == s.TotalNanos;
        var check = string.Create(CultureInfo.InvariantCulture,
            $"linked {NanoUsd.ToUsd(s.LinkedNanos):0.000000000} + unlinked {NanoUsd.ToUsd(s.UnlinkedNanos):0.000000000} = {NanoUsd.ToUsd(s.LinkedNanos + s.UnlinkedNanos):0.000000000} USD {(reconciles ? "=" : "≠")} ledger total {NanoUsd.ToUsd(s.TotalNanos):0.000000000} USD over {s.Rows} rows");
        return new SpendReconciliation(s.Rows, NanoUsd.ToUsd(s.TotalNanos), NanoUsd.ToUsd(s.LinkedNanos), NanoUsd.ToUsd(s.UnlinkedNanos),
            OutcomeReport.Share(s.UnlinkedNanos, s.TotalNanos), byRule, s.TotalNanos, s.LinkedNanos, s.UnlinkedNanos, reconciles, check);
    }

    public static string RuleName(LinkRule rule) => rule switch
    {
        LinkRule.Explicit => "explicit",
        LinkRule.Branch => "branch",
        LinkRule.Repository => "repository",
        LinkRule.AuthorWindow => "author_window",
        _ => "unlinked",
    };
}

/// <summary>All-in cost per outcome: every dollar of the period (linked or not) over the outcomes completed in it.</summary>
public sealed record AllInCost(decimal? CostPerOutcomeUsd, string Formula)
{
    public static AllInCost Of(decimal totalUsd, int outcomes) => outcomes == 0
        ? new AllInCost(null, string.Create(CultureInfo.InvariantCulture, $"no outcomes completed in the period; total spend {totalUsd:0.00####} USD"))
        : new AllInCost(OutcomeReport.Usd(totalUsd / outcomes),
            string.Create(CultureInfo.InvariantCulture, $"total spend / outcomes = {totalUsd:0.00####} / {outcomes} = {OutcomeReport.Usd(totalUsd / outcomes):0.00####} USD"));
}

public sealed record TypeFigures(string Type, Distribution CostPerOutcome);

public sealed record GroupFigures(string Key, int Outcomes, Distribution CostPerOutcome, decimal SpendUsd, decimal LinkedSpendUsd,
    decimal UnlinkedSpendUsd, decimal UnlinkedShare, decimal ValueUsd, decimal? Roi, string RoiFormula);

/// <summary>One week (Monday 00:00 UTC): outcomes completed, their linked cost (median, mean), the week's spend, all-in cost per outcome.</summary>
public sealed record TrendPoint(DateTimeOffset WeekStart, int Outcomes, decimal MedianCostUsd, decimal MeanCostUsd, decimal SpendUsd, decimal? AllInCostPerOutcomeUsd);

public sealed record OutcomeCost(string Id, string Type, string? Title, string? Person, string? Team, string? Project, DateTimeOffset CompletedAt,
    decimal CostUsd, decimal ValueUsd, string ValueBasis);

public sealed record BaselinePeriodFigures(string Label, DateTimeOffset Since, DateTimeOffset Until, int Outcomes, decimal OutcomesPerWeek,
    decimal MedianCostUsd, decimal MeanCostUsd, decimal SpendUsd, decimal? AllInCostPerOutcomeUsd);

/// <summary>Before vs after: outcomes per week and cost per outcome, with percentage changes ((after − before) / before × 100).</summary>
public sealed record BaselineComparison(
    string Basis,
    BaselinePeriodFigures Before,
    BaselinePeriodFigures After,
    decimal? OutcomesPerWeekChangePct,
    decimal? MedianCostChangePct,
    decimal? AllInCostPerOutcomeChangePct,
    string Formula)
{
    public static BaselineComparison Compare(BaselinePeriodFigures before, BaselinePeriodFigures after, string basis)
    {
        var perWeek = Change(before.OutcomesPerWeek, after.OutcomesPerWeek);
        var median = before.Outcomes == 0 || after.Outcomes == 0 ? null : Change(before.MedianCostUsd, after.MedianCostUsd);
        var allIn = before.AllInCostPerOutcomeUsd is { } b && after.AllInCostPerOutcomeUsd is { } a ? Change(b, a) : null;
        var formula = string.Create(CultureInfo.InvariantCulture,
            $"change = (after − before) / before × 100; outcomes per week = outcomes / days × 7: before {before.Outcomes} in {(before.Until - before.Since).TotalDays:0.#} d = {before.OutcomesPerWeek:0.##}/wk, after {after.Outcomes} in {(after.Until - after.Since).TotalDays:0.#} d = {after.OutcomesPerWeek:0.##}/wk");
        return new BaselineComparison(basis, before, after, perWeek, median, allIn, formula);
    }

    private static decimal? Change(decimal before, decimal after) =>
        before == 0 ? null : decimal.Round((after - before) / before * 100, 2, MidpointRounding.AwayFromZero);
}
