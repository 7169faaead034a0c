using TokenOps.Core.Savings;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Sql;

/// <summary>
/// Savings by lever, team, person, project or model, the same SQL on every backend: one read of the rollup tables
/// (<see cref="SqlRollupQueries"/>: the same tables, segments and filters as every other report), which hold, beside
/// requests and cost, the savings measures (<c>LedgerRollups.SavingsMeasureNames</c>, kept in the ledger write's
/// transaction). Never a ledger scan, so the dashboard's savings page costs what its overview costs.
/// </summary>
public abstract class SqlSavingsQueries(SqlRollupQueries rollups) : ISavingsQueries
{
    // requests, cost, then the savings measures: levered, moved, saved per lever, applied per lever.
    private static readonly string[] Measures = ["requests", "cost_nanos", .. LedgerRollups.SavingsMeasureNames];
    private const int Levers = 6;

    private static RollupDimension RollupOf(SavingsDimension d) => d switch
    {
        SavingsDimension.Person => RollupDimension.Person,
        SavingsDimension.Team => RollupDimension.Team,
        SavingsDimension.Project => RollupDimension.Project,
        SavingsDimension.Model => RollupDimension.Model,
        _ => throw new ArgumentOutOfRangeException(nameof(d), d, "not a rollup dimension"),
    };

    public IReadOnlyDictionary<SavingsDimension, SavingsReport> Reports(RollupFilter filter, params SavingsDimension[] by)
    {
        // The rollups' primary-key order (person, team, project, model), so the database aggregates while it scans.
        var dims = by.Where(d => d != SavingsDimension.Lever).Distinct()
            .OrderBy(d => d switch { SavingsDimension.Person => 0, SavingsDimension.Team => 1, SavingsDimension.Project => 2, _ => 3 }).ToArray();
        var cells = rollups.Sums(filter, dims.Select(RollupOf).ToArray(), Measures);

        var total = SavingsRow.Empty("total");
        var applied = new long[Levers];
        foreach (var (_, v) in cells)
        {
            total += Row("total", v);
            for (var i = 0; i < Levers; i++) applied[i] += v[4 + Levers + i];
        }
        var levers = SavingsLevers.All.Select((l, i) => new LeverRow(l, applied[i], total.Saved.Of(l))).ToList();

        var result = new Dictionary<SavingsDimension, SavingsReport>();
        foreach (var d in by.Distinct())
        {
            if (d == SavingsDimension.Lever)
            {
                result[d] = new SavingsReport(d, [], levers, total);
                continue;
            }
            var index = Array.IndexOf(dims, d);
            var rows = cells.GroupBy(c => c.Keys[index], StringComparer.Ordinal)
                .Select(g => g.Aggregate(SavingsRow.Empty(g.Key), (acc, c) => acc + Row(g.Key, c.Values)))
                .OrderByDescending(r => r.SavedNanos).ThenByDescending(r => r.CostNanos).ThenBy(r => r.Key, StringComparer.Ordinal)
                .ToList();
            result[d] = new SavingsReport(d, rows, levers, total);
        }
        return result;
    }

    /// <summary>One cell's measures as a row: requests, cost, levered, moved, then the saving of each lever.</summary>
    private static SavingsRow Row(string key, long[] v) =>
        new(key, v[0], v[2], v[3], v[1], LeverNanos.From(new ArraySegment<long>(v, 4, Levers)));
}
