using System.Globalization;

namespace TokenOps.Storage;

/// <summary>
/// Aggregates from the rollup tables (the dashboard's and `tokenops report`'s only source of totals, never a ledger
/// scan). Rows are kept in the ledger write's own transaction, so these always agree with the ledger.
/// </summary>
public interface IRollupQueries
{
    IReadOnlyList<RollupRow> Group(RollupFilter filter, RollupDimension by);

    /// <summary>Several groupings in one go (one page of the dashboard).</summary>
    IReadOnlyDictionary<RollupDimension, IReadOnlyList<RollupRow>> GroupMany(RollupFilter filter, params RollupDimension[] dimensions);

    RollupRow Total(RollupFilter filter);

    /// <summary>Sums grouped by several dimensions at once; fold it into breakdowns with <see cref="Rollups.Fold"/>.</summary>
    IReadOnlyList<CubeRow> Cube(RollupFilter filter, params RollupDimension[] dimensions);

    /// <summary>Cache reads by served model (to price what they would have cost uncached).</summary>
    IReadOnlyList<RollupRow> CacheByModel(RollupFilter filter);
}

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

    /// <summary>Server and web-search tool calls (part of <see cref="CostNanos"/>).</summary>
    public long ToolCallNanos { get; init; }

    /// <summary>Audio tokens in and out, audio seconds and characters (part of <see cref="CostNanos"/>).</summary>
    public long AudioNanos { get; init; }

    /// <summary>Image tokens in and out and images priced per image (part of <see cref="CostNanos"/>).</summary>
    public long ImageNanos { get; init; }

    public static RollupRow Empty(string key) => new(key, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

/// <summary>Backend-neutral arithmetic on rollup rows and bucket keys.</summary>
public static class Rollups
{
    /// <summary>True when the range reads the daily table (both ends at midnight UTC and no hourly buckets asked for).</summary>
    public static bool UsesDaily(RollupFilter f) =>
        !f.HourlyBuckets && f.From.UtcDateTime.TimeOfDay == TimeSpan.Zero && f.To.UtcDateTime.TimeOfDay == TimeSpan.Zero;

    /// <summary>
    /// The instants a filter's range reads, at hour precision: the start floored to its hour, the end (exclusive) ceiled,
    /// so an end inside an hour still counts that hour. Ledger reads that sit beside rollup reads use the same range.
    /// </summary>
    public static (DateTime From, DateTime To) HourAligned(RollupFilter f)
    {
        var from = f.From.UtcDateTime;
        from = new DateTime(from.Ticks - from.Ticks % TimeSpan.TicksPerHour, DateTimeKind.Utc);
        var to = f.To.UtcDateTime;
        if (to.Ticks % TimeSpan.TicksPerHour != 0)
            to = new DateTime(to.Ticks - to.Ticks % TimeSpan.TicksPerHour, DateTimeKind.Utc).AddHours(1);
        return (from, to);
    }

    /// <summary>The bucket key of an instant, in the table the filter reads.</summary>
    public static string BucketOf(DateTimeOffset t, bool daily) =>
        t.UtcDateTime.ToString(daily ? "yyyy-MM-dd" : "yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture);

    /// <summary>Parses a bucket key back to its start.</summary>
    public static DateTimeOffset BucketStart(string bucket) => bucket.Length == 10
        ? DateTimeOffset.ParseExact(bucket, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
        : DateTimeOffset.ParseExact(bucket, "yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

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
        ToolCallNanos = a.ToolCallNanos + b.ToolCallNanos, AudioNanos = a.AudioNanos + b.AudioNanos, ImageNanos = a.ImageNanos + b.ImageNanos,
    };
}
