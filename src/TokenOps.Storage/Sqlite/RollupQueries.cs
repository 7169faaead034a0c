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
/// org-wide questions (no person filter, not by person or feature) read the *_org tables.
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

    private static IReadOnlyList<RollupRow> Group(SqliteConnection connection, RollupFilter f, RollupDimension by)
    {
        var daily = UsesDaily(f);
        // Without a person (filter or grouping) or feature grouping, the organisation-level table holds the same sums in far fewer rows.
        var org = f.Person is null && by is not (RollupDimension.Person or RollupDimension.Feature);
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
        if (!daily && (toInstant.Minute != 0 || toInstant.Second != 0 || toInstant.Millisecond != 0 || toInstant.Ticks % TimeSpan.TicksPerSecond != 0))
            toInstant = new DateTime(toInstant.Year, toInstant.Month, toInstant.Day, toInstant.Hour, 0, 0, DateTimeKind.Utc).AddHours(1);
        var to = BucketOf(toInstant, daily);
        var key = by switch
        {
            RollupDimension.Total => "'total'",
            RollupDimension.Bucket => "bucket",
            _ => by.ToString().ToLowerInvariant(),
        };
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
        var sums = string.Join(", ", LedgerRollups.Measures.Split(", ").Select(m => $"SUM({m})"));
        var order = by == RollupDimension.Bucket ? "1" : "9 DESC, 1";
        cmd.CommandText = $"SELECT {key}, {sums} FROM {table} WHERE {where} GROUP BY 1 HAVING COUNT(*) > 0 ORDER BY {order};";
        using var r = cmd.ExecuteReader();
        var rows = new List<RollupRow>();
        while (r.Read())
            rows.Add(new RollupRow(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6),
                r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11), r.GetInt64(12)));
        return rows;
    }

    /// <summary>Cache reads by served model (to price what they would have cost uncached).</summary>
    public IReadOnlyList<RollupRow> CacheByModel(RollupFilter filter) =>
        Group(filter, RollupDimension.Model).Where(r => r.CacheReadTokens > 0).ToList();
}
