using TokenOps.Core.Forecasting;
using TokenOps.Core.Pricing;
using TokenOps.Storage;

namespace TokenOps.Gateway.Planning;

/// <summary>
/// "What does this cost at 10x and 100x our volume?": today's monthly spend per team and model (the last
/// <see cref="BaselineDays"/> complete UTC days, from the rollups, scaled to an average month) projected month by month
/// with volume growth and each price tier's decline (<see cref="GrowthProjection"/>). `tokenops forecast --growth` and
/// the dashboard's growth page both read it here.
/// </summary>
public static class GrowthForecast
{
    public const int BaselineDays = 30;

    /// <summary>Days in an average month: the baseline window is scaled to it.</summary>
    private const decimal DaysPerMonth = 365.25m / 12m;

    /// <summary>The growth multiples the dashboard draws side by side.</summary>
    public static readonly IReadOnlyList<decimal> Scenarios = [1m, 10m, 100m];

    /// <summary>The baseline window ending at the start of today (UTC).</summary>
    public static (DateTimeOffset From, DateTimeOffset To) Window(DateTimeOffset now)
    {
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        return (today.AddDays(-BaselineDays), today);
    }

    /// <summary>Today's monthly spend per team and model in the scope (team or person, or everything), from the rollups.</summary>
    public static IReadOnlyList<BaselineSpend> Baseline(IRollupQueries rollups, DateTimeOffset now, string? team = null, string? person = null)
    {
        var (from, to) = Window(now);
        var cube = rollups.Cube(new RollupFilter(from, to) { Team = team, Person = person }, RollupDimension.Team, RollupDimension.Model);
        return cube.Where(c => c.Sums.CostNanos != 0 && c.Keys[1].Length > 0)
            .Select(c => new BaselineSpend(c.Keys[0], c.Keys[1], NanoUsd.ToUsd(c.Sums.CostNanos) * DaysPerMonth / BaselineDays))
            .ToList();
    }

    public static GrowthProjection Project(IReadOnlyList<BaselineSpend> baseline, GrowthAssumptions assumptions, PriceCatalog? catalog,
        IReadOnlyDictionary<string, PriceTier>? mapping = null) =>
        GrowthProjection.Project(baseline, assumptions, model => PriceTiers.Of(model, catalog, mapping));

    /// <summary>Month labels (yyyy-MM) of the projection's months: month 1 is the next calendar month.</summary>
    public static IReadOnlyList<string> Months(DateTimeOffset now, int horizon)
    {
        var first = new DateTime(now.UtcDateTime.Year, now.UtcDateTime.Month, 1).AddMonths(1);
        return Enumerable.Range(0, horizon).Select(i => first.AddMonths(i).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }
}
