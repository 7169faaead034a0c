using System.Data.Common;
using TokenOps.Core.Savings;

namespace TokenOps.Storage.Sql;

/// <summary>
/// Savings by lever, team, person, project or model, the same SQL on every backend. Two reads over the same hour-aligned
/// range: the rollups give every request and its cost (as `tokenops report` and the dashboard count them), and one scan
/// of the ledger rows a lever applied to (partial index <c>ledger_savings</c>, so rows without a lever are never read)
/// gives the saved_* sums, the requests moved to a cheaper model and, per lever, the requests it applied to. Both are
/// grouped by the same keys (absent values as '', the model served, as the rollups store them) and merged here.
/// A row that saved something always names its lever (the settle stage writes both together), so the levered rows hold
/// every saving in the ledger.
/// </summary>
public abstract class SqlSavingsQueries(SqlDialect dialect, IRollupQueries rollups) : ISavingsQueries
{
    /// <summary>An open connection to the backend's database.</summary>
    protected abstract DbConnection Open();

    private static readonly string[] SavedColumns = SavingsLevers.All.Select(l => "saved_" + l.Replace('-', '_') + "_nanos").ToArray();

    /// <summary>The ledger's expression for each dimension, as the rollups compute their keys (<c>LedgerRollups</c>).</summary>
    private static string LedgerKey(SavingsDimension d) => d switch
    {
        SavingsDimension.Person => "COALESCE(person, '')",
        SavingsDimension.Team => "COALESCE(team, '')",
        SavingsDimension.Project => "COALESCE(project, '')",
        SavingsDimension.Model => "COALESCE(served_model, requested_model, '')",
        _ => throw new ArgumentOutOfRangeException(nameof(d), d, "not a ledger column"),
    };

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
        var spend = rollups.Cube(filter, dims.Select(RollupOf).ToArray());
        var (saved, levers) = ReadLedger(filter, dims);

        // One cell per key combination: requests and cost from the rollups, savings from the ledger's levered rows.
        var cells = new Dictionary<string, (string[] Keys, SavingsRow Row)>(StringComparer.Ordinal);
        static string Id(string[] keys) => string.Join('\u0001', keys);
        foreach (var c in spend)
        {
            // Without dimensions the rollups answer one "total" group; the ledger read, no key at all.
            var keys = dims.Length == 0 ? [] : c.Keys;
            cells[Id(keys)] = (keys, new SavingsRow("", c.Sums.Requests, 0, 0, c.Sums.CostNanos, LeverNanos.Zero));
        }
        foreach (var (keys, row) in saved)
        {
            var id = Id(keys);
            var before = cells.TryGetValue(id, out var cell) ? cell.Row : SavingsRow.Empty("");
            cells[id] = (keys, before with { LeveredRequests = row.LeveredRequests, MovedRequests = row.MovedRequests, Saved = row.Saved });
        }

        var total = cells.Values.Aggregate(SavingsRow.Empty("total"), (acc, c) => acc + c.Row);
        var result = new Dictionary<SavingsDimension, SavingsReport>();
        foreach (var d in by.Distinct())
        {
            if (d == SavingsDimension.Lever)
            {
                result[d] = new SavingsReport(d, [], levers, total);
                continue;
            }
            var index = Array.IndexOf(dims, d);
            var rows = cells.Values.GroupBy(c => c.Keys[index], StringComparer.Ordinal)
                .Select(g => g.Aggregate(SavingsRow.Empty(g.Key), (acc, c) => acc + c.Row))
                .OrderByDescending(r => r.SavedNanos).ThenByDescending(r => r.CostNanos).ThenBy(r => r.Key, StringComparer.Ordinal)
                .ToList();
            result[d] = new SavingsReport(d, rows, levers, total);
        }
        return result;
    }

    /// <summary>The levered rows of the range grouped by <paramref name="dims"/>, and the six lever rows over all of them, in one scan.</summary>
    private (List<(string[] Keys, SavingsRow Row)> Cells, IReadOnlyList<LeverRow> Levers) ReadLedger(RollupFilter f, SavingsDimension[] dims)
    {
        using var connection = Open();
        using var cmd = connection.CreateCommand();
        var (from, to) = Rollups.HourAligned(f);
        SqlDialect.Parameter(cmd, "from", StoredRows.Time(from));
        SqlDialect.Parameter(cmd, "to", StoredRows.Time(to));
        var where = "savings_levers IS NOT NULL AND started_at >= @from AND started_at < @to";
        void Filter(string name, string expression, string? value)
        {
            if (value is null) return;
            where += $" AND {expression} = @{name}";
            SqlDialect.Parameter(cmd, name, value);
        }
        Filter("person", LedgerKey(SavingsDimension.Person), f.Person);
        Filter("team", LedgerKey(SavingsDimension.Team), f.Team);
        Filter("project", LedgerKey(SavingsDimension.Project), f.Project);
        Filter("model", LedgerKey(SavingsDimension.Model), f.Model);

        // No dimension: one constant group (and no row when nothing matched), as the rollup reads do.
        var keys = dims.Length == 0 ? ["''"] : dims.Select(LedgerKey).ToArray();
        // A lever applies when the comma list names it (names hold no comma, '%' or '_').
        var applied = SavingsLevers.All.Select(l => $"(',' || savings_levers || ',') LIKE '%,{l},%'").ToArray();
        const string moved = "saved_routed_nanos + saved_degraded_nanos > 0 AND served_model IS NOT NULL AND served_model <> COALESCE(requested_model, '')";
        var measures = new List<string> { "COUNT(*)", dialect.Sum($"CASE WHEN {moved} THEN 1 ELSE 0 END") };
        measures.AddRange(SavedColumns.Select(dialect.Sum));
        measures.AddRange(applied.Select(a => dialect.Sum($"CASE WHEN {a} THEN 1 ELSE 0 END")));
        measures.AddRange(applied.Select(a => dialect.Sum($"CASE WHEN {a} THEN cost_nanos ELSE 0 END")));
        cmd.CommandText = $"SELECT {string.Join(", ", keys.Select((k, i) => $"{k} AS k{i}"))}, {string.Join(", ", measures)} " +
            $"FROM ledger{dialect.IndexHint("ledger_savings")} WHERE {where} GROUP BY {string.Join(", ", keys.Select((_, i) => i + 1))};";

        var cells = new List<(string[], SavingsRow)>();
        var n = SavingsLevers.All.Count;
        var leverRequests = new long[n];
        var leverCost = new long[n];
        var leverSaved = new long[n];
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var k = keys.Length;
            var cellKeys = new string[dims.Length];
            for (var i = 0; i < dims.Length; i++) cellKeys[i] = r.GetString(i);
            var savedNanos = new long[n];
            for (var l = 0; l < n; l++)
            {
                savedNanos[l] = r.GetInt64(k + 2 + l);
                leverSaved[l] += savedNanos[l];
                leverRequests[l] += r.GetInt64(k + 2 + n + l);
                leverCost[l] += r.GetInt64(k + 2 + 2 * n + l);
            }
            cells.Add((cellKeys, new SavingsRow("", 0, r.GetInt64(k), r.GetInt64(k + 1), 0, LeverNanos.From(savedNanos))));
        }
        var levers = SavingsLevers.All.Select((l, i) => new LeverRow(l, leverRequests[i], leverCost[i], leverSaved[i])).ToList();
        return (cells, levers);
    }
}
