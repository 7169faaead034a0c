using System.Globalization;
using Microsoft.Data.Sqlite;

namespace TokenOps.Storage.Sqlite;

/// <summary>What a rollup row can be grouped by.</summary>
public enum RollupDimension
{
    Total,
    Person,
    Team,
    Project,
    Feature,
    Model,
    Provider,
    Outcome,
    /// <summary>The time bucket (hour or day, whichever table the range reads).</summary>
    Bucket,
}

/// <summary>A time range and optional dimension filters. The range is read at hour precision (whole days use the daily table).</summary>
public sealed record RollupFilter(DateTimeOffset From, DateTimeOffset To)
{
    public string? Person { get; init; }
    public string? Team { get; init; }
    public string? Project { get; init; }
    public string? Model { get; init; }
    /// <summary>Force hourly buckets for <see cref="RollupDimension.Bucket"/> even when the range is whole days.</summary>
    public bool HourlyBuckets { get; init; }
}

/// <summary>One cell of a multi-dimension rollup query: the dimension values in the order asked, and the sums.</summary>
public sealed record CubeRow(string[] Keys, RollupRow Sums);

/// <summary>One group of a rollup query: sums over every ledger row in it.</summary>
public sealed record RollupRow(
    string Key,
    long Requests,
    long UncachedInputTokens,
    long CacheReadTokens,
    long CacheWrite5mTokens,
    long CacheWrite1hTokens,
    long OutputTokens,
    long ReasoningTokens,
    long CostNanos,
    long CacheReadNanos,
    long CacheHitRequests,
    long DegradedRequests,
    long ErrorRequests)
{
    public long InputTokens => UncachedInputTokens + CacheReadTokens + CacheWrite5mTokens + CacheWrite1hTokens;

    public static RollupRow Empty(string key) => new(key, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

/// <summary>
/// Reads the rollup tables: the dashboard's and `tokenops report`'s only source of aggregates (never a ledger scan).
/// Whole-day ranges read the daily tables; anything else the hourly ones with the ends floored/ceiled to the hour;
/// org-wide questions (no person filter, not by person, feature or outcome) read the *_org tables.
/// </summary>
public sealed class RollupQueries(SqliteDatabase database)
{
    public IReadOnlyList<RollupRow> Group(RollupFilter filter, RollupDimension by)
    {
        using var connection = database.Open();
        return Group(connection, filter, by);
    }

    /// <summary>Several groupings over one connection (one page of the dashboard).</summary>
    public IReadOnlyDictionary<RollupDimension, IReadOnlyList<RollupRow>> GroupMany(RollupFilter filter, params RollupDimension[] dimensions)
    {
        using var connection = database.Open();
        var result = new Dictionary<RollupDimension, IReadOnlyList<RollupRow>>();
        foreach (var d in dimensions) result[d] = Group(connection, filter, d);
        return result;
    }

    public RollupRow Total(RollupFilter filter) => Group(filter, RollupDimension.Total).FirstOrDefault() ?? RollupRow.Empty("total");

    /// <summary>True when the range reads the daily table (both ends at midnight UTC and no hourly buckets asked for).</summary>
    public static bool UsesDaily(RollupFilter f) =>
        !f.HourlyBuckets && f.From.UtcDateTime.TimeOfDay == TimeSpan.Zero && f.To.UtcDateTime.TimeOfDay == TimeSpan.Zero;

    /// <summary>The bucket key of an instant, in the table the filter reads.</summary>
    public static string BucketOf(DateTimeOffset t, bool daily) =>
        t.UtcDateTime.ToString(daily ? "yyyy-MM-dd" : "yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture);

    /// <summary>Parses a bucket key back to its start.</summary>
    public static DateTimeOffset BucketStart(string bucket) => bucket.Length == 10
        ? DateTimeOffset.ParseExact(bucket, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
        : DateTimeOffset.ParseExact(bucket, "yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static IReadOnlyList<RollupRow> Group(SqliteConnection connection, RollupFilter f, RollupDimension by) =>
        Cube(connection, f, by == RollupDimension.Total ? [] : [by]).Select(c => c.Sums with { Key = c.Keys.Length > 0 ? c.Keys[0] : "total" })
            .OrderBy(r => by == RollupDimension.Bucket ? 0 : -r.CostNanos).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Sums grouped by several dimensions at once, in one read: a page asks for its cube, then folds it into each breakdown
    /// (<see cref="Fold"/>). Put dimensions in primary-key order (bucket, person, team, project, feature, model, provider)
    /// so that SQLite aggregates while it scans, without a sort.
    /// </summary>
    public IReadOnlyList<CubeRow> Cube(RollupFilter filter, params RollupDimension[] dimensions)
    {
        using var connection = database.Open();
        return Cube(connection, filter, dimensions);
    }

    private static IReadOnlyList<CubeRow> Cube(SqliteConnection connection, RollupFilter f, RollupDimension[] dims)
    {
        if (dims.Contains(RollupDimension.Total)) throw new ArgumentException("Total is not a cube dimension", nameof(dims));
        var daily = UsesDaily(f);
        // Without a person (filter or grouping), feature or outcome grouping, the organisation-level table holds the same sums in far fewer rows.
        var org = f.Person is null && !dims.Any(d => d is RollupDimension.Person or RollupDimension.Feature or RollupDimension.Outcome);
        var table = (daily, org) switch
        {
            (true, true) => LedgerRollups.DailyOrg,
            (true, false) => LedgerRollups.Daily,
            (false, true) => LedgerRollups.HourlyOrg,
            _ => LedgerRollups.Hourly,
        };
        var from = BucketOf(f.From, daily);
        // The end is exclusive: an end inside an hour still counts that hour.
        var toInstant = f.To.UtcDateTime;
        if (!daily && toInstant.Ticks % TimeSpan.TicksPerHour != 0)
            toInstant = new DateTime(toInstant.Ticks - toInstant.Ticks % TimeSpan.TicksPerHour, DateTimeKind.Utc).AddHours(1);
        var to = BucketOf(toInstant, daily);
        using var cmd = connection.CreateCommand();
        var where = "bucket >= $from AND bucket < $to";
        cmd.Parameters.AddWithValue("$from", from);
        cmd.Parameters.AddWithValue("$to", to);
        void Filter(string column, string? value)
        {
            if (value is null) return;
            where += $" AND {column} = ${column}";
            cmd.Parameters.AddWithValue("$" + column, value);
        }
        Filter("person", f.Person);
        Filter("team", f.Team);
        Filter("project", f.Project);
        Filter("model", f.Model);
        // No dimension: one "total" group (and no row at all when nothing matched).
        var columns = dims.Length == 0 ? ["'total'"] : dims.Select(d => d == RollupDimension.Bucket ? "bucket" : d.ToString().ToLowerInvariant()).ToArray();
        var sums = string.Join(", ", LedgerRollups.Measures.Split(", ").Select(m => $"SUM({m})"));
        cmd.CommandText = $"SELECT {string.Join(", ", columns)}, {sums} FROM {table} WHERE {where} GROUP BY {string.Join(", ", columns.Select((_, i) => i + 1))};";
        using var r = cmd.ExecuteReader();
        var rows = new List<CubeRow>();
        var n = columns.Length;
        while (r.Read())
        {
            var keys = new string[n];
            for (var i = 0; i < n; i++) keys[i] = r.GetString(i);
            rows.Add(new CubeRow(keys, new RollupRow("", r.GetInt64(n), r.GetInt64(n + 1), r.GetInt64(n + 2), r.GetInt64(n + 3), r.GetInt64(n + 4),
                r.GetInt64(n + 5), r.GetInt64(n + 6), r.GetInt64(n + 7), r.GetInt64(n + 8), r.GetInt64(n + 9), r.GetInt64(n + 10), r.GetInt64(n + 11))));
        }
        return rows;
    }

    /// <summary>
    /// Folds a cube into one breakdown: by the dimension at <paramref name="index"/> (biggest spend first), or into a single
    /// total row when <paramref name="index"/> is -1.
    /// </summary>
    public static IReadOnlyList<RollupRow> Fold(IReadOnlyList<CubeRow> cube, int index)
    {
        var map = new Dictionary<string, RollupRow>(StringComparer.Ordinal);
        foreach (var c in cube)
        {
            var key = index < 0 ? "total" : c.Keys[index];
            map[key] = map.TryGetValue(key, out var acc) ? Add(acc, c.Sums) : c.Sums with { Key = key };
        }
        if (index < 0 && map.Count == 0) return [RollupRow.Empty("total")];
        return map.Values.OrderByDescending(r => r.CostNanos).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
    }

    public static RollupRow Add(RollupRow a, RollupRow b) => a with
    {
        Requests = a.Requests + b.Requests, UncachedInputTokens = a.UncachedInputTokens + b.UncachedInputTokens,
        CacheReadTokens = a.CacheReadTokens + b.CacheReadTokens, CacheWrite5mTokens = a.CacheWrite5mTokens + b.CacheWrite5mTokens,
        CacheWrite1hTokens = a.CacheWrite1hTokens + b.CacheWrite1hTokens, OutputTokens = a.OutputTokens + b.OutputTokens,
        ReasoningTokens = a.ReasoningTokens + b.ReasoningTokens, CostNanos = a.CostNanos + b.CostNanos, CacheReadNanos = a.CacheReadNanos + b.CacheReadNanos,
        CacheHitRequests = a.CacheHitRequests + b.CacheHitRequests, DegradedRequests = a.DegradedRequests + b.DegradedRequests, ErrorRequests = a.ErrorRequests + b.ErrorRequests,
    };

    /// <summary>Cache reads by served model (to price what they would have cost uncached).</summary>
    public IReadOnlyList<RollupRow> CacheByModel(RollupFilter filter) =>
        Group(filter, RollupDimension.Model).Where(r => r.CacheReadTokens > 0).ToList();
}
