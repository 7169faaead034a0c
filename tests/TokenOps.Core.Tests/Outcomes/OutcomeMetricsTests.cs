using TokenOps.Core.Outcomes;
using TokenOps.Core.Poker;
using Xunit;
using static TokenOps.Core.Tests.Outcomes.OutcomeLinkerTests;

namespace TokenOps.Core.Tests.Outcomes;

public sealed class OutcomeMetricsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Distribution_MedianAndPercentiles_InterpolateLikeNumpy()
    {
        // numpy.percentile([1, 2, 3, 4, 10], [25, 50, 75, 90]) = [2, 3, 4, 7.6]
        var d = Distribution.Of([10m, 1m, 3m, 2m, 4m]);
        Assert.Equal((5, 20m, 4m, 3m, 2m, 4m, 7.6m, 1m, 10m), (d.Count, d.Total, d.Mean, d.Median, d.P25, d.P75, d.P90, d.Min, d.Max));
        // Even count: the median is between the two middle values; the mean is pulled by the outlier, the median is not.
        var even = Distribution.Of([1m, 2m, 3m, 100m]);
        Assert.Equal(2.5m, even.Median);
        Assert.Equal(26.5m, even.Mean);
        Assert.Equal(Distribution.Empty, Distribution.Of([]));
        Assert.Equal(5m, Distribution.Of([5m]).P90);
    }

    [Fact]
    public void Roi_UsesStatedValuesOrHoursSavedTimesTheRightRate()
    {
        var valuation = new OutcomeValuation
        {
            HoursSavedByType = new Dictionary<OutcomeType, decimal> { [OutcomeType.Pr] = 2m, [OutcomeType.Ticket] = 1.5m },
            DefaultHourlyRateUsd = 50m,
            HourlyRateByTeam = new Dictionary<string, decimal> { ["core"] = 80m },
            HourlyRateByTier = new Dictionary<string, decimal> { ["senior"] = 120m },
            TierByPerson = new Dictionary<string, string> { ["ada"] = "senior" },
        };
        Outcome[] outcomes =
        [
            Pr("acme/shop", 1, "ada", T0, T0) with { Team = "core" },      // 2 h × 120 (tier beats team) = 240
            Pr("acme/shop", 2, "bob", T0, T0) with { Team = "core" },      // 2 h × 80 (team) = 160
            Ticket("X-1", "zoe", null, T0),                                 // 1.5 h × 50 (default) = 75
            new Outcome { Source = "manual", SourceId = "f", Type = OutcomeType.Feature, CompletedAt = T0, ValueUsd = 1000m, Person = "ada" }, // stated, no hours
        ];
        var roi = RoiFigure.Compute(outcomes, 500m, valuation);
        Assert.Equal(1475m, roi.ValueUsd);
        Assert.Equal(1000m, roi.StatedValueUsd);
        Assert.Equal(475m, roi.TimeSavedValueUsd);
        Assert.Equal(5.5m, roi.HoursSaved);
        Assert.Equal(1.95m, roi.Roi); // (1475 − 500) / 500
        Assert.Contains("(1475.00 − 500.00) / 500.00 = 1.95", roi.Formula);
        Assert.Null(RoiFigure.Compute(outcomes, 0m, valuation).Roi);
        Assert.Equal(-1m, RoiFigure.Compute([], 10m, valuation).Roi);
        // Costs beyond the ledger: 500 USD of spend + 500 USD of licences → (1475 − 1000) / 1000.
        var withOther = RoiFigure.Compute(outcomes, 500m, valuation, 500m);
        Assert.Equal((1000m, 500m, 500m, 0.475m), (withOther.CostUsd, withOther.AiSpendUsd, withOther.OtherCostUsd, withOther.Roi));
        Assert.Contains("other AI costs 500.00", withOther.Formula);
        // Prorated per day of a mean month (30.4375 days): 304.375 USD a month is 10 USD a day, 70 over a week.
        var monthly = valuation with { OtherCostPerMonthUsd = 304.375m };
        Assert.Equal(70m, monthly.OtherCost(new ReportPeriod(T0, T0.AddDays(7))));
    }

    [Fact]
    public void Report_CostPerOutcome_ByTypeAndPerson_Trend_Baseline()
    {
        var period = new ReportPeriod(T0, T0.AddDays(14));
        Outcome[] outcomes =
        [
            Pr("acme/shop", 1, "ada", T0, T0.AddDays(1)) with { Team = "core" },
            Pr("acme/shop", 2, "ada", T0.AddDays(2), T0.AddDays(3)) with { Team = "core" },
            Ticket("X-1", "bob", T0.AddDays(7), T0.AddDays(9)) with { Team = "web" },
        ];
        var analysis = new OutcomeLedgerAnalysis(new OutcomeLinker(outcomes, TimeSpan.FromDays(14)),
            [period, new ReportPeriod(T0, T0.AddDays(7)), new ReportPeriod(T0.AddDays(7), T0.AddDays(14))]);
        analysis.Add(Row(T0.AddHours(2), "ada", nanos: 1_000_000_000));                  // PR 1
        analysis.Add(Row(T0.AddDays(2).AddHours(1), "ada", nanos: 3_000_000_000));       // PR 2
        analysis.Add(Row(T0.AddDays(8), "bob", nanos: 500_000_000));
        analysis.Add(Row(T0.AddDays(8), "zoe", nanos: 250_000_000));                      // unlinked
        analysis.Add(Row(T0.AddDays(20), "ada", nanos: 999));                             // after the period: not counted
        var report = OutcomeReport.Build(analysis, OutcomeValuation.None, period, "person",
            (new ReportPeriod(T0, T0.AddDays(7)), new ReportPeriod(T0.AddDays(7), T0.AddDays(14)), "test"));

        Assert.Equal(4.75m, report.Spend.TotalUsd);
        Assert.Equal(4.5m, report.Spend.LinkedUsd);
        Assert.Equal(0.25m, report.Spend.UnlinkedUsd);
        Assert.Equal(0.052632m, report.Spend.UnlinkedShare);
        Assert.True(report.Spend.Reconciles);
        Assert.Equal(4.5m, report.Spend.LinkedUsdByRule["author_window"]);
        Assert.Equal((3, 1m), (report.CostPerOutcome.Count, report.CostPerOutcome.Median));
        Assert.Equal(1.583333333m, report.AllIn.CostPerOutcomeUsd); // 4.75 / 3
        var pr = Assert.Single(report.ByType, t => t.Type == "pr");
        Assert.Equal((2, 2m, 4m), (pr.CostPerOutcome.Count, pr.CostPerOutcome.Median, pr.CostPerOutcome.Total));
        var ada = Assert.Single(report.Groups, g => g.Key == "ada");
        Assert.Equal((2, 4m, 0m), (ada.Outcomes, ada.SpendUsd, ada.UnlinkedSpendUsd));
        var zoe = Assert.Single(report.Groups, g => g.Key == "zoe");
        Assert.Equal((0, 0.25m, 1m), (zoe.Outcomes, zoe.UnlinkedSpendUsd, zoe.UnlinkedShare));
        Assert.Equal(2, report.Trend.Count);
        Assert.Equal((2, 4m), (report.Trend[0].Outcomes, report.Trend[0].SpendUsd));
        Assert.Equal((1, 0.5m, 0.75m), (report.Trend[1].Outcomes, report.Trend[1].MedianCostUsd, report.Trend[1].SpendUsd));
        var b = report.Baseline!;
        Assert.Equal((2, 2m, 1, 1m), (b.Before.Outcomes, b.Before.OutcomesPerWeek, b.After.Outcomes, b.After.OutcomesPerWeek));
        Assert.Equal(-50m, b.OutcomesPerWeekChangePct);
        Assert.Equal(-75m, b.MedianCostChangePct); // 2 → 0.5
    }

    [Fact]
    public void Report_LateOutcome_CountsSpendBeforeThePeriodInItsWindow()
    {
        var period = new ReportPeriod(T0.AddDays(7), T0.AddDays(14));
        var pr = Pr("acme/shop", 1, "ada", T0.AddDays(2), T0.AddDays(8));
        var analysis = new OutcomeLedgerAnalysis(new OutcomeLinker([pr], TimeSpan.FromDays(14)), [period]);
        Assert.Equal(T0.AddDays(2), analysis.ReadFrom);
        analysis.Add(Row(T0.AddDays(3), nanos: 2_000_000_000));
        analysis.Add(Row(T0.AddDays(7).AddHours(1), nanos: 1_000_000_000));
        var report = OutcomeReport.Build(analysis, OutcomeValuation.None, period, null);
        Assert.Equal(3m, report.CostPerOutcome.Total); // the PR's whole window
        Assert.Equal(1m, report.Spend.TotalUsd);        // the period's spend only
    }

    [Fact]
    public void PokerPolicy_ScoresOutcomeValuePerDollar_WithItsFormula()
    {
        var policy = new OutcomeValuePerDollarPolicy(new FixedValues(new OutcomeWeekValue(300m, 2)));
        Assert.Equal("outcome-value-per-dollar", policy.Name);
        var week = new PokerPlayerWeek("ada", "core", T0, T0.AddDays(7), 25m, 12.5m, 40, 38);
        var score = policy.Score(week);
        Assert.Equal(24m, score.Value);
        Assert.Contains("300.00 USD (2 outcomes completed this week) / 12.50 USD = 24", score.Formula);
        var idle = policy.Score(week with { Spent = 0 });
        Assert.Equal(0m, idle.Value);
        Assert.Contains("spent nothing", idle.Formula);
    }

    private sealed class FixedValues(OutcomeWeekValue value) : IOutcomeValueLookup
    {
        public OutcomeWeekValue ValueFor(string person, DateTimeOffset from, DateTimeOffset until) => person == "ada" ? value : default;
    }
}
