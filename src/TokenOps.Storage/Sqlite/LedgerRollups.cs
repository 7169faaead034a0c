using System.Globalization;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Ledger;

namespace TokenOps.Storage.Sqlite;

/// <summary>
/// Keeps rollup_hourly and rollup_daily up to date as the ledger grows. Called by <see cref="SqliteLedgerStore.Write"/>
/// inside the ledger's transaction with only the rows that were actually inserted, so a replayed event never counts twice.
/// The batch is aggregated in memory first: one UPSERT per distinct (bucket, dimensions) key, not one per row.
/// Dimensions are stored as '' when absent so that the primary key is a real key (NULLs are never equal in SQLite).
/// </summary>
public static class LedgerRollups
{
    /// <summary>The rollup tables (same columns; the bucket is 'yyyy-MM-ddTHH' for hours, 'yyyy-MM-dd' for days, UTC).</summary>
    public const string Hourly = "rollup_hourly";
    public const string Daily = "rollup_daily";

    internal const string Dimensions = "person, team, project, feature, model, provider, outcome";
    internal const string Measures =
        "requests, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, " +
        "reasoning_tokens, cost_nanos, cache_read_nanos, cache_hit_requests, degraded_requests, error_requests";

    internal static string CreateTable(string name) => $"""
        CREATE TABLE IF NOT EXISTS {name} (
            bucket TEXT NOT NULL, person TEXT NOT NULL, team TEXT NOT NULL, project TEXT NOT NULL, feature TEXT NOT NULL,
            model TEXT NOT NULL, provider TEXT NOT NULL, outcome TEXT NOT NULL,
            requests INTEGER NOT NULL, uncached_input_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
            cache_write_5m_tokens INTEGER NOT NULL, cache_write_1h_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
            reasoning_tokens INTEGER NOT NULL, cost_nanos INTEGER NOT NULL, cache_read_nanos INTEGER NOT NULL,
            cache_hit_requests INTEGER NOT NULL, degraded_requests INTEGER NOT NULL, error_requests INTEGER NOT NULL,
            PRIMARY KEY (bucket, {Dimensions})) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS {name}_person ON {name}(person, bucket);
        CREATE INDEX IF NOT EXISTS {name}_team ON {name}(team, bucket);
        """;

    /// <summary>Rebuilds a rollup table from the ledger (the migration's backfill; also used by bulk loaders).</summary>
    internal static string Backfill(string name, int bucketLength) => $"""
        INSERT INTO {name} (bucket, {Dimensions}, {Measures})
        SELECT substr(started_at, 1, {bucketLength}), COALESCE(person, ''), COALESCE(team, ''), COALESCE(project, ''),
               COALESCE(feature, ''), COALESCE(served_model, requested_model, ''), COALESCE(provider, ''), outcome,
               COUNT(*), SUM(uncached_input_tokens), SUM(cache_read_tokens), SUM(cache_write_5m_tokens), SUM(cache_write_1h_tokens),
               SUM(output_tokens), SUM(reasoning_tokens), SUM(cost_nanos), SUM(cache_read_nanos),
               SUM(cache_read_tokens > 0), SUM(COALESCE(budget_action LIKE 'degraded%', 0)), SUM(outcome <> 'Ok')
        FROM ledger GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        ON CONFLICT (bucket, {Dimensions}) DO UPDATE SET {UpdateSet};
        """;

    internal static readonly string UpdateSet = string.Join(", ",
        Measures.Split(", ").Select(m => $"{m} = {m} + excluded.{m}"));

    /// <summary>The full schema step: tables, plus a backfill of whatever the ledger already holds.</summary>
    internal static string MigrationSql =>
        CreateTable(Hourly) + CreateTable(Daily) + Backfill(Hourly, 13) + Backfill(Daily, 10) +
        // The savings page finds degraded requests without a scan; the explorer filters by model over time.
        "CREATE INDEX IF NOT EXISTS ledger_degraded ON ledger(started_at) WHERE budget_action LIKE 'degraded%';\n" +
        "CREATE INDEX IF NOT EXISTS ledger_model ON ledger(served_model, started_at);\n";

    /// <summary>Rebuilds both rollup tables from scratch (for bulk loads that bypass <see cref="Apply"/>).</summary>
    public static void Rebuild(SqliteConnection connection)
    {
        using var tx = connection.BeginTransaction();
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"DELETE FROM {Hourly}; DELETE FROM {Daily};" + Backfill(Hourly, 13) + Backfill(Daily, 10);
        cmd.CommandTimeout = 0;
        cmd.ExecuteNonQuery();
        tx.Commit();
    }

    /// <summary>Adds the inserted rows to both rollups, inside the caller's transaction.</summary>
    public static void Apply(SqliteConnection connection, SqliteTransaction tx, IReadOnlyList<LedgerEntry> inserted)
    {
        if (inserted.Count == 0) return;
        var hourly = new Dictionary<Key, Sums>();
        var daily = new Dictionary<Key, Sums>();
        foreach (var e in inserted)
        {
            var t = e.StartedAt.UtcDateTime;
            var dims = new Key("", e.Person ?? "", e.Team ?? "", e.Project ?? "", e.Feature ?? "", e.ServedModel ?? e.RequestedModel ?? "",
                e.Provider ?? "", e.Outcome.ToString());
            Add(hourly, dims with { Bucket = t.ToString("yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture) }, e);
            Add(daily, dims with { Bucket = t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) }, e);
        }
        Upsert(connection, tx, Hourly, hourly);
        Upsert(connection, tx, Daily, daily);
    }

    private static void Add(Dictionary<Key, Sums> map, Key key, LedgerEntry e)
    {
        map.TryGetValue(key, out var s);
        var u = e.Usage;
        s.Requests++;
        s.UncachedInput += u.UncachedInput;
        s.CacheRead += u.CacheRead;
        s.CacheWrite5m += u.CacheWrite5m;
        s.CacheWrite1h += u.CacheWrite1h;
        s.Output += u.Output;
        s.Reasoning += u.Reasoning;
        s.CostNanos += e.CostNanos;
        s.CacheReadNanos += Core.Pricing.NanoUsd.FromUsd(e.Cost.CacheRead);
        if (u.CacheRead > 0) s.CacheHits++;
        if (e.BudgetAction?.StartsWith("degraded", StringComparison.Ordinal) == true) s.Degraded++;
        if (e.Outcome != LedgerOutcome.Ok) s.Errors++;
        map[key] = s;
    }

    private static void Upsert(SqliteConnection connection, SqliteTransaction tx, string table, Dictionary<Key, Sums> map)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        var dims = Dimensions.Split(", ");
        var measures = Measures.Split(", ");
        cmd.CommandText = $"INSERT INTO {table} (bucket, {Dimensions}, {Measures}) VALUES ($bucket, " +
            string.Join(", ", dims.Select(d => "$" + d)) + ", " + string.Join(", ", measures.Select(m => "$" + m)) +
            $") ON CONFLICT (bucket, {Dimensions}) DO UPDATE SET {UpdateSet};";
        var p = new[] { "bucket" }.Concat(dims).Concat(measures).ToDictionary(n => n, n => cmd.Parameters.Add(new SqliteParameter("$" + n, null)));
        cmd.Prepare();
        foreach (var (k, s) in map)
        {
            p["bucket"].Value = k.Bucket; p["person"].Value = k.Person; p["team"].Value = k.Team; p["project"].Value = k.Project;
            p["feature"].Value = k.Feature; p["model"].Value = k.Model; p["provider"].Value = k.Provider; p["outcome"].Value = k.Outcome;
            p["requests"].Value = s.Requests; p["uncached_input_tokens"].Value = s.UncachedInput; p["cache_read_tokens"].Value = s.CacheRead;
            p["cache_write_5m_tokens"].Value = s.CacheWrite5m; p["cache_write_1h_tokens"].Value = s.CacheWrite1h;
            p["output_tokens"].Value = s.Output; p["reasoning_tokens"].Value = s.Reasoning; p["cost_nanos"].Value = s.CostNanos;
            p["cache_read_nanos"].Value = s.CacheReadNanos; p["cache_hit_requests"].Value = s.CacheHits;
            p["degraded_requests"].Value = s.Degraded; p["error_requests"].Value = s.Errors;
            cmd.ExecuteNonQuery();
        }
    }

    private readonly record struct Key(string Bucket, string Person, string Team, string Project, string Feature, string Model, string Provider, string Outcome);

    private struct Sums
    {
        public long Requests, UncachedInput, CacheRead, CacheWrite5m, CacheWrite1h, Output, Reasoning, CostNanos, CacheReadNanos, CacheHits, Degraded, Errors;
    }
}
