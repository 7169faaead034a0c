using System.Globalization;
using TokenOps.Core.Budgets;
using TokenOps.Core.Outcomes;
using TokenOps.Core.Poker;
using TokenOps.Gateway.Alerts;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Outcomes;
using TokenOps.Storage;
using DashboardPeriod = TokenOps.Core.Reporting.ReportPeriod;
using OutcomePeriod = TokenOps.Core.Outcomes.ReportPeriod;

namespace TokenOps.Gateway.Dashboard;

/// <summary>Shared helpers of the dashboard feeds: the page's period and who belongs to which team.</summary>
internal static class FeedSupport
{
    public static DashboardPeriod Period(IQueryCollection query, TimeProvider time)
    {
        var spec = query["period"].ToString().Trim();
        if (spec.Length == 0) spec = "30d";
        if (!DashboardPeriod.TryParse(spec, time.GetUtcNow(), out var period))
            throw new FormatException($"period: '{spec}' is not one of {DashboardPeriod.Help}");
        return period;
    }

    public static bool CanSeeBudget(DashboardViewer viewer, BudgetLevel level, string name, Func<string, string?> teamOf) => level switch
    {
        BudgetLevel.Person => viewer.CanSeePerson(name, teamOf(name)),
        BudgetLevel.Team => viewer.CanSeeTeam(name),
        _ => true,
    };

    public static Func<string, string?> TeamLookup(IKeyStore keys)
    {
        var people = keys.People().GroupBy(p => p.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (string?)g.First().Team, StringComparer.Ordinal);
        return name => people.GetValueOrDefault(name);
    }
}

/// <summary>
/// "poker": this week's token poker leaderboard, the same rows as GET /admin/poker (<see cref="AlertEndpoints.LeaderboardView"/>),
/// anonymised unless the organisation chose names, with the viewer's own row marked. Null (not configured) when poker is off.
/// </summary>
public sealed class PokerDashboardFeed(GatewayOptions options, PokerGame game, TimeProvider time) : IDashboardFeed
{
    public string Name => "poker";

    public Task<object?> GetAsync(DashboardViewer viewer, IQueryCollection query, CancellationToken cancellationToken)
    {
        if (!options.Poker.Enabled) return Task.FromResult<object?>(null);
        var board = game.Leaderboard(game.WeekStart(time.GetUtcNow()), viewer.Person);
        return Task.FromResult<object?>(AlertEndpoints.LeaderboardView(board));
    }
}

/// <summary>
/// "outcomes": cost per outcome for the page's period from <see cref="OutcomeService.Report"/>. Admins and, with
/// transparency, everyone see the organisation; otherwise the aggregates are the viewer's team's and the outcome rows
/// only those of people the viewer may see. With ?person=… only that person's outcomes (the person page).
/// </summary>
public sealed class OutcomesDashboardFeed(OutcomeService outcomes, IKeyStore keys, TimeProvider time) : IDashboardFeed
{
    public string Name => "outcomes";

    public Task<object?> GetAsync(DashboardViewer viewer, IQueryCollection query, CancellationToken cancellationToken)
    {
        var period = FeedSupport.Period(query, time);
        var report = outcomes.Report(new OutcomePeriod(period.From, period.To), "team");
        var teamOf = FeedSupport.TeamLookup(keys);
        var whole = viewer.ReadsEverything || viewer.Transparency;
        var person = query["person"].ToString().Trim();

        bool Visible(OutcomeCost o) => whole || (o.Person is { } p && viewer.CanSeePerson(p, o.Team ?? teamOf(p)));
        var visibleRows = report.Outcomes.Where(Visible).ToList();

        if (person.Length > 0)
        {
            // The person page: what this person's spend bought. Nothing when the viewer may not see the person.
            var mine = viewer.CanSeePerson(person, teamOf(person))
                ? visibleRows.Where(o => string.Equals(o.Person, person, StringComparison.Ordinal)).ToList()
                : [];
            return Task.FromResult<object?>(new
            {
                configured = true,
                person,
                period = new { from = period.From, to = period.To, label = period.Label },
                outcomes = mine.Count,
                linkedCostUsd = mine.Sum(o => o.CostUsd),
                valueUsd = mine.Sum(o => o.ValueUsd),
                costPerOutcome = Figures(Distribution.Of(mine.Select(o => o.CostUsd))),
                rows = mine.Select(Row),
            });
        }

        // Aggregates: the organisation's, or the viewer's team's.
        var scoped = whole ? report.Outcomes : report.Outcomes.Where(o => viewer.Team is not null && string.Equals(o.Team, viewer.Team, StringComparison.OrdinalIgnoreCase)).ToList();
        var teamGroup = whole ? null : report.Groups.FirstOrDefault(g => viewer.Team is not null && string.Equals(g.Key, viewer.Team, StringComparison.OrdinalIgnoreCase));
        object summary = whole
            ? new
            {
                outcomes = report.CostPerOutcome.Count,
                spendUsd = report.Spend.TotalUsd,
                linkedUsd = report.Spend.LinkedUsd,
                unlinkedUsd = report.Spend.UnlinkedUsd,
                unlinkedShare = report.Spend.UnlinkedShare,
                medianUsd = report.CostPerOutcome.Median,
                p90Usd = report.CostPerOutcome.P90,
                allInCostPerOutcomeUsd = report.AllIn.CostPerOutcomeUsd,
                allInFormula = report.AllIn.Formula,
                valueUsd = report.Roi.ValueUsd,
                roi = report.Roi.Roi,
                roiFormula = report.Roi.Formula,
            }
            : new
            {
                outcomes = teamGroup?.Outcomes ?? 0,
                spendUsd = teamGroup?.SpendUsd ?? 0m,
                linkedUsd = teamGroup?.LinkedSpendUsd ?? 0m,
                unlinkedUsd = teamGroup?.UnlinkedSpendUsd ?? 0m,
                unlinkedShare = teamGroup?.UnlinkedShare ?? 0m,
                medianUsd = teamGroup?.CostPerOutcome.Median ?? 0m,
                p90Usd = teamGroup?.CostPerOutcome.P90 ?? 0m,
                allInCostPerOutcomeUsd = teamGroup is { Outcomes: > 0 } g ? decimal.Round(g.SpendUsd / g.Outcomes, 9) : (decimal?)null,
                allInFormula = teamGroup is { Outcomes: > 0 } g2
                    ? string.Create(CultureInfo.InvariantCulture, $"team spend / outcomes = {g2.SpendUsd:0.00####} / {g2.Outcomes} = {decimal.Round(g2.SpendUsd / g2.Outcomes, 9):0.00####} USD")
                    : "no outcomes completed by the team in the period",
                valueUsd = teamGroup?.ValueUsd ?? 0m,
                roi = teamGroup?.Roi,
                roiFormula = teamGroup?.RoiFormula ?? "no spend or outcomes for your team in this period",
            };
        var byType = scoped.GroupBy(o => o.Type).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new { type = g.Key, figures = Figures(Distribution.Of(g.Select(o => o.CostUsd))) }).ToList();
        return Task.FromResult<object?>(new
        {
            configured = true,
            scope = whole ? "organisation" : "team " + (viewer.Team ?? "(none)"),
            period = new { from = period.From, to = period.To, label = period.Label },
            summary,
            byType = byType.Select(t => new { t.type, count = t.figures.Count, medianUsd = t.figures.MedianUsd, p90Usd = t.figures.P90Usd, meanUsd = t.figures.MeanUsd, totalUsd = t.figures.TotalUsd }),
            distribution = Histogram(scoped.Select(o => o.CostUsd).ToList()),
            byTeam = report.Groups.Where(g => g.Key != PeriodSpend.None && viewer.CanSeeTeam(g.Key)).Select(g => new
            {
                team = g.Key, outcomes = g.Outcomes, medianUsd = g.CostPerOutcome.Median, p90Usd = g.CostPerOutcome.P90, spendUsd = g.SpendUsd,
                unlinkedShare = g.UnlinkedShare, roi = g.Roi,
            }),
            trend = whole ? report.Trend.Select(t => new { weekStart = t.WeekStart, t.Outcomes, medianUsd = t.MedianCostUsd, spendUsd = t.SpendUsd, allInUsd = t.AllInCostPerOutcomeUsd }) : null,
            rows = visibleRows.Select(Row),
            rowsHidden = report.Outcomes.Count - visibleRows.Count,
        });
    }

    private sealed record FigureSet(int Count, decimal MedianUsd, decimal P90Usd, decimal MeanUsd, decimal TotalUsd);

    private static FigureSet Figures(Distribution d) => new(d.Count, d.Median, d.P90, d.Mean, d.Total);

    private static object Row(OutcomeCost o) => new
    {
        id = o.Id, type = o.Type, title = o.Title, person = o.Person, team = o.Team, project = o.Project, completedAt = o.CompletedAt,
        costUsd = o.CostUsd, valueUsd = o.ValueUsd,
    };

    /// <summary>Outcomes per cost band (six equal bands from 0 to the largest cost), for the distribution chart.</summary>
    internal static IReadOnlyList<object> Histogram(IReadOnlyList<decimal> costs)
    {
        if (costs.Count == 0) return [];
        const int bands = 6;
        var max = costs.Max();
        if (max <= 0) return [new { fromUsd = 0m, toUsd = 0m, count = costs.Count }];
        var width = max / bands;
        var counts = new int[bands];
        foreach (var c in costs) counts[Math.Min(bands - 1, (int)(Math.Max(0m, c) / width))]++;
        return Enumerable.Range(0, bands).Select(i => (object)new { fromUsd = decimal.Round(width * i, 6), toUsd = decimal.Round(width * (i + 1), 6), count = counts[i] }).ToList();
    }
}

/// <summary>
/// "alerts": the alerts raised in the page's period and the forecast of every budget the viewer can see (projected spend
/// at period end with its band, run-out date), from <see cref="IAlertStore"/> and <see cref="AlertEngine.Forecasts"/>.
/// Null (not configured) when no budget is configured and no alert was raised in the period.
/// </summary>
public sealed class AlertsDashboardFeed(AlertEngine engine, IAlertStore store, IKeyStore keys, TimeProvider time) : IDashboardFeed
{
    public string Name => "alerts";

    public Task<object?> GetAsync(DashboardViewer viewer, IQueryCollection query, CancellationToken cancellationToken)
    {
        if (!engine.HasBudgets) return Task.FromResult<object?>(null);
        var period = FeedSupport.Period(query, time);
        var teamOf = FeedSupport.TeamLookup(keys);
        var allAlerts = store.List(period.From).Select(s => s.Alert).Where(a => a.CreatedAt < period.To).ToList();
        var allForecasts = engine.Forecasts();
        // No budget configured and nothing ever raised: the page says alerts are not configured.
        if (allForecasts.Count == 0 && allAlerts.Count == 0) return Task.FromResult<object?>(null);
        var alerts = allAlerts.Where(a => FeedSupport.CanSeeBudget(viewer, a.Level, a.Name, teamOf)).ToList();
        var forecasts = allForecasts.Where(f => FeedSupport.CanSeeBudget(viewer, f.Level, f.Name, teamOf)).ToList();
        return Task.FromResult<object?>(new
        {
            configured = true,
            period = new { from = period.From, to = period.To, label = period.Label },
            forecasts = forecasts.Select(f => new
            {
                budget = f.BudgetId, level = f.Level.ToString().ToLowerInvariant(), name = f.Name, limitUsd = f.Limit, committedUsd = f.Committed,
                periodEnd = f.PeriodEnd, burnRateUsdPerDay = Math.Round(f.Rate.MeanPerDay, 6),
                projectedLowUsd = Math.Round(f.ProjectedLow, 6), projectedUsd = Math.Round(f.Projected, 6), projectedHighUsd = Math.Round(f.ProjectedHigh, 6),
                runOut = f.Exhaustion, runOutEarliest = f.ExhaustionEarliest, runOutLatest = f.ExhaustionLatest,
                runsOutBeforePeriodEnd = f.RunsOutBeforePeriodEnd,
            }),
            alerts = alerts.OrderByDescending(a => a.CreatedAt).Select(a => new
            {
                createdAt = a.CreatedAt, kind = a.Kind.ToString().ToLowerInvariant(), level = a.Level.ToString().ToLowerInvariant(), name = a.Name,
                threshold = a.Threshold, spentUsd = a.Spent, limitUsd = a.Limit, runOut = a.ProjectedExhaustion, message = a.Message,
            }),
        });
    }
}
