using System.Data.Common;
using System.Globalization;
using TokenOps.Storage.Sqlite;

using static TokenOps.Storage.Rollups;

namespace TokenOps.Storage.Sql;

/// <summary>
/// Reads the rollup tables, the same SQL on every backend (a backend supplies its connections and <see cref="SqlDialect"/>):
/// the dashboard's and `tokenops report`'s only source of aggregates (never a ledger scan).
/// A range (ends floored/ceiled to the hour) is read as whole months from the monthly tables, whole weeks from the weekly ones, whole days at the edges from
/// the daily tables and partial days from the hourly ones; a series by bucket reads the daily (whole days) or hourly table;
/// org-wide questions (no person filter, not by person, feature or outcome) read the *_org tables.
/// Orders are made here, in byte order, so they do not depend on a database's collation.
/// </summary>
public abstract class SqlRollupQueries(SqlDialect dialect) : IRollupQueries
{
    /// <summary>An open connection to the backend's database.</summary>
    protected abstract DbConnection Open();

    public IReadOnlyList<RollupRow> Group(RollupFilter filter, RollupDimension by)
    {
        using var connection = Open();
        return Group(connection, filter, by);
    }

    /// <summary>Several groupings over one connection (one page of the dashboard).</summary>
    public IReadOnlyDictionary<RollupDimension, IReadOnlyList<RollupRow>> GroupMany(RollupFilter filter, params RollupDimension[] dimensions)
    {
        using var connection = Open();
        var result = new Dictionary<RollupDimension, IReadOnlyList<RollupRow>>();
        foreach (var d in dimensions) result[d] = Group(connection, filter, d);
        return result;
    }

    public RollupRow Total(RollupFilter filter) => Group(filter, RollupDimension.Total).FirstOrDefault() ?? RollupRow.Empty("total");

    private IReadOnlyList<RollupRow> Group(DbConnection connection, RollupFilter f, RollupDimension by) =>
        Cube(connection, f, by == RollupDimension.Total ? [] : [by]).Select(c => c.Sums with { Key = c.Keys.Length > 0 ? c.Keys[0] : "total" })
            .OrderBy(r => by == RollupDimension.Bucket ? 0 : -r.CostNanos).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Sums grouped by several dimensions at once, in one read: a page asks for its cube, then folds it into each breakdown
    /// (<see cref="Fold"/>). Put dimensions in primary-key order (bucket, person, team, project, feature, model, provider)
    /// so that the database aggregates while it scans, without a sort.
    /// </summary>
    public IReadOnlyList<CubeRow> Cube(RollupFilter filter, params RollupDimension[] dimensions)
    {
        using var connection = Open();
        return Cube(connection, filter, dimensions);
    }

    /// <summary>Cache reads by served model (to price what they would have cost uncached).</summary>
    public IReadOnlyList<RollupRow> CacheByModel(RollupFilter filter) =>
        Group(filter, RollupDimension.Model).Where(r => r.CacheReadTokens > 0).ToList();

    /// <summary>Rollup granularity of one segment of a range.</summary>
    internal enum Level { Hour, Day, Week, Month }

    /// <summary>
    /// Splits [from, to) (hour-aligned) into the fewest rollup reads: whole months from the monthly table, whole weeks
    /// (Monday to Monday) of what is left from the weekly table, whole days at the edges from the daily table, and partial
    /// days from the hourly table. The segments are disjoint and cover the range
    /// exactly, so their sums add up to the same totals as any single finer table.
    /// </summary>
    internal static List<(Level Level, DateTime From, DateTime To)> Segments(DateTime from, DateTime to)
    {
        var list = new List<(Level, DateTime, DateTime)>();
        if (from >= to) return list;
        var dayStart = from.TimeOfDay == TimeSpan.Zero ? from : from.Date.AddDays(1);
        var dayEnd = to.Date;
        if (dayStart >= dayEnd)
        {
            list.Add((Level.Hour, from, to));
            return list;
        }
        if (from < dayStart) list.Add((Level.Hour, from, dayStart));
        var monthStart = new DateTime(dayStart.Year, dayStart.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        if (monthStart < dayStart) monthStart = monthStart.AddMonths(1);
        var monthEnd = new DateTime(dayEnd.Year, dayEnd.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        if (monthStart < monthEnd)
        {
            Days(list, dayStart, monthStart);
            list.Add((Level.Month, monthStart, monthEnd));
            Days(list, monthEnd, dayEnd);
        }
        else Days(list, dayStart, dayEnd);
        if (dayEnd < to) list.Add((Level.Hour, dayEnd, to));
        return list;
    }

    /// <summary>Whole days [from, to): whole weeks (Monday to Monday) from the weekly table, the days around them from the daily one.</summary>
    private static void Days(List<(Level, DateTime, DateTime)> list, DateTime from, DateTime to)
    {
        if (from >= to) return;
        var weekStart = from.AddDays((8 - (int)from.DayOfWeek) % 7);
        var weekEnd = to.AddDays(-(((int)to.DayOfWeek + 6) % 7));
        if (weekStart < weekEnd)
        {
            if (from < weekStart) list.Add((Level.Day, from, weekStart));
            list.Add((Level.Week, weekStart, weekEnd));
            if (weekEnd < to) list.Add((Level.Day, weekEnd, to));
        }
        else list.Add((Level.Day, from, to));
    }

    private static readonly string[] CubeMeasures = [.. LedgerRollups.BaseMeasures.Split(", "), .. LedgerRollups.UnitMeasureNames];

    private IReadOnlyList<CubeRow> Cube(DbConnection connection, RollupFilter f, RollupDimension[] dims) =>
        Sums(connection, f, dims, CubeMeasures).Select(c => new CubeRow(c.Keys, new RollupRow("", c.Values[0], c.Values[1], c.Values[2], c.Values[3],
            c.Values[4], c.Values[5], c.Values[6], c.Values[7], c.Values[8], c.Values[9], c.Values[10], c.Values[11])
        {
            ToolCallNanos = c.Values[12], AudioNanos = c.Values[13], ImageNanos = c.Values[14],
        })).ToList();

    /// <summary>
    /// Any of the rollups' measures (<c>LedgerRollups.Measures</c>) summed by <paramref name="dims"/>, read as <see cref="Cube"/>
    /// reads them (same tables, segments and filters): the savings reads use it for the savings measures.
    /// </summary>
    internal IReadOnlyList<(string[] Keys, long[] Values)> Sums(RollupFilter filter, RollupDimension[] dims, IReadOnlyList<string> measures)
    {
        using var connection = Open();
        return Sums(connection, filter, dims, measures);
    }

    private List<(string[] Keys, long[] Values)> Sums(DbConnection connection, RollupFilter f, RollupDimension[] dims, IReadOnlyList<string> measures)
    {
        if (dims.Contains(RollupDimension.Total)) throw new ArgumentException("Total is not a cube dimension", nameof(dims));
        var daily = UsesDaily(f);
        // Without a person (filter or grouping), feature or outcome grouping, the organisation-level table holds the same sums in far fewer rows.
        var org = f.Person is null && !dims.Any(d => d is RollupDimension.Person or RollupDimension.Feature or RollupDimension.Outcome);
        // The range at hour precision; the end is exclusive: an end inside an hour still counts that hour.
        var (fromInstant, toInstant) = HourAligned(f);
        // A series by bucket reads one table (days or hours, as asked); anything else reads months, days and hours as the range allows.
        var segments = dims.Contains(RollupDimension.Bucket)
            ? [(daily ? Level.Day : Level.Hour, fromInstant, toInstant)]
            : Segments(fromInstant, toInstant);
        if (segments.Count == 0) return [];
        // Whole days with no team or project filter, grouped by nothing finer than model and provider: the by-model daily table.
        var byModel = org && f.Team is null && f.Project is null && dims.All(d => d is RollupDimension.Bucket or RollupDimension.Model or RollupDimension.Provider);
        using var cmd = connection.CreateCommand();
        var filters = "";
        void Filter(string column, string? value)
        {
            if (value is null) return;
            filters += $" AND {column} = @{column}";
            SqlDialect.Parameter(cmd, column, value);
        }
        Filter("person", f.Person);
        Filter("team", f.Team);
        Filter("project", f.Project);
        Filter("model", f.Model);
        // No dimension: one "total" group (and no row at all when nothing matched).
        var columns = dims.Length == 0 ? ["'total'"] : dims.Select(d => d == RollupDimension.Bucket ? "bucket" : d.ToString().ToLowerInvariant()).ToArray();
        var groupBy = string.Join(", ", columns.Select((_, i) => i + 1));
        var selects = new List<string>();
        for (var i = 0; i < segments.Count; i++)
        {
            var (level, from, to) = segments[i];
            var table = (level, org) switch
            {
                (Level.Month, true) => LedgerRollups.MonthlyOrg,
                (Level.Month, false) => LedgerRollups.Monthly,
                (Level.Week, true) => LedgerRollups.WeeklyOrg,
                (Level.Week, false) => LedgerRollups.Weekly,
                (Level.Day, true) => byModel ? LedgerRollups.DailyModel : LedgerRollups.DailyOrg,
                (Level.Day, false) => LedgerRollups.Daily,
                (Level.Hour, true) => LedgerRollups.HourlyOrg,
                _ => LedgerRollups.Hourly,
            };
            var format = level switch { Level.Month => "yyyy-MM", Level.Day or Level.Week => "yyyy-MM-dd", _ => "yyyy-MM-dd'T'HH" };
            SqlDialect.Parameter(cmd, $"from{i}", from.ToString(format, CultureInfo.InvariantCulture));
            SqlDialect.Parameter(cmd, $"to{i}", to.ToString(format, CultureInfo.InvariantCulture));
            var cols = string.Join(", ", columns.Select((c, k) => $"{c} AS k{k}"));
            selects.Add($"SELECT {cols}, {string.Join(", ", measures.Select(m => $"{dialect.Sum(m)} AS {m}"))} FROM {table} " +
                $"WHERE bucket >= @from{i} AND bucket < @to{i}{filters} GROUP BY {groupBy}");
        }
        // One segment: read as is. Several: each aggregated in its table's key order, then added up (a few hundred rows each).
        cmd.CommandText = selects.Count == 1
            ? selects[0] + ";"
            : $"SELECT {string.Join(", ", columns.Select((_, k) => $"k{k}"))}, {string.Join(", ", measures.Select(dialect.Sum))} " +
              $"FROM ({string.Join(" UNION ALL ", selects)}) AS segments GROUP BY {groupBy};";
        using var r = cmd.ExecuteReader();
        var rows = new List<(string[], long[])>();
        var n = columns.Length;
        while (r.Read())
        {
            var keys = new string[n];
            for (var i = 0; i < n; i++) keys[i] = r.GetString(i);
            var values = new long[measures.Count];
            for (var i = 0; i < values.Length; i++) values[i] = r.GetInt64(n + i);
            rows.Add((keys, values));
        }
        return rows;
    }
}
