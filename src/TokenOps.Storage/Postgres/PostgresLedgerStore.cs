using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Postgres;

/// <summary>
/// Ledger rows in PostgreSQL, behaving exactly as <see cref="SqliteLedgerStore"/> (the shared conformance suite checks
/// it): writes are idempotent on the event id, a batch is one transaction, and the rollups count only the rows that
/// batch actually inserted, in that transaction.
/// <para>
/// A batch is one <c>INSERT ... SELECT FROM unnest(arrays) ON CONFLICT (id) DO NOTHING RETURNING id</c>: every column
/// travels as one typed array parameter (binary), whatever the batch size, and RETURNING names exactly the new rows.
/// The rollup upserts for those rows (aggregated in memory by <see cref="LedgerRollups.Aggregate"/>, the code SQLite
/// uses) go the same way, one statement per table, all sent in one <see cref="NpgsqlBatch"/>.
/// Chosen over binary COPY into a temporary staging table then INSERT ... SELECT (the other way to skip duplicates) by
/// measurement: the staging way costs two more round trips and was 2-3x slower for the batches of 1-16 rows the writer
/// sends at ordinary load, and no faster within noise at 1,024 rows (docs/ARCHITECTURE.md, "PostgreSQL").
/// </para>
/// </summary>
public sealed class PostgresLedgerStore(PostgresDatabase database) : ILedgerStore
{
    private static readonly Column[] Columns =
    [
        Text("id", e => e.Id), Text("started_at", e => Time(e.StartedAt)), Text("ended_at", e => Time(e.EndedAt)),
        Text("route", e => e.Route), Text("key_id", e => e.KeyId), Text("person", e => e.Person), Text("team", e => e.Team),
        Text("project", e => e.Project), Text("feature", e => e.Feature), Text("ticket", e => e.Ticket),
        Text("pull_request", e => e.PullRequest), Text("tags", e => e.Tags), Text("provider", e => e.Provider),
        Text("requested_model", e => e.RequestedModel), Text("served_model", e => e.ServedModel),
        Long("uncached_input_tokens", e => e.Usage.UncachedInput), Long("cache_read_tokens", e => e.Usage.CacheRead),
        Long("cache_write_5m_tokens", e => e.Usage.CacheWrite5m), Long("cache_write_1h_tokens", e => e.Usage.CacheWrite1h),
        Long("output_tokens", e => e.Usage.Output), Long("reasoning_tokens", e => e.Usage.Reasoning),
        Text("service_tier", e => TierName(e.Usage.Tier)),
        Long("uncached_input_nanos", e => NanoUsd.FromUsd(e.Cost.UncachedInput)), Long("cache_read_nanos", e => NanoUsd.FromUsd(e.Cost.CacheRead)),
        Long("cache_write_5m_nanos", e => NanoUsd.FromUsd(e.Cost.CacheWrite5m)), Long("cache_write_1h_nanos", e => NanoUsd.FromUsd(e.Cost.CacheWrite1h)),
        Long("output_nanos", e => NanoUsd.FromUsd(e.Cost.Output)), Long("reasoning_nanos", e => NanoUsd.FromUsd(e.Cost.Reasoning)),
        // The total is the rounded total, not the sum of rounded buckets: it is the figure that must match the provider's bill.
        Long("cost_nanos", e => e.CostNanos),
        Text("catalog_version", e => e.CatalogVersion), Bool("streamed", e => e.Streamed), Bool("estimated", e => e.Estimated),
        Int("status", e => e.Status), Text("outcome", e => e.Outcome.Name()), Text("error_code", e => e.ErrorCode),
        Double("latency_ms", e => e.LatencyMs), NullableDouble("ttft_ms", e => e.TimeToFirstTokenMs),
        Text("provider_request_id", e => e.ProviderRequestId), Text("source", e => e.Source), Text("session_id", e => e.SessionId),
        Text("budget_action", e => e.BudgetAction), Text("justification", e => e.Justification),
        Long("web_search_calls", e => e.Usage.WebSearchCalls), Long("web_fetch_calls", e => e.Usage.WebFetchCalls),
        Long("file_search_calls", e => e.Usage.FileSearchCalls), Long("tool_call_nanos", e => NanoUsd.FromUsd(e.Cost.ToolCalls)),
        Long("saved_routed_nanos", e => e.Savings.NanosOf(SavingsLevers.Routed)), Long("saved_degraded_nanos", e => e.Savings.NanosOf(SavingsLevers.Degraded)),
        Long("saved_capped_nanos", e => e.Savings.NanosOf(SavingsLevers.Capped)), Long("saved_cache_breakpoint_nanos", e => e.Savings.NanosOf(SavingsLevers.CacheBreakpoint)),
        Long("saved_cache_hit_nanos", e => e.Savings.NanosOf(SavingsLevers.CacheHit)), Long("saved_batch_nanos", e => e.Savings.NanosOf(SavingsLevers.Batch)),
        Text("savings_levers", e => e.Levers), NullableDouble("route_score", e => e.RouteScore), Text("parent_id", e => e.ParentId),
        Text("output_control", e => e.OutputControl), Bool("price_estimated", e => e.PriceEstimated),
        Long("audio_input_tokens", e => e.Usage.AudioInput), Long("audio_output_tokens", e => e.Usage.AudioOutput),
        Long("image_input_tokens", e => e.Usage.ImageInput), Long("image_output_tokens", e => e.Usage.ImageOutput),
        Long("images", e => e.Usage.Images), Long("audio_ms", e => e.Usage.AudioMilliseconds), Long("characters", e => e.Usage.Characters),
        Long("audio_input_nanos", e => NanoUsd.FromUsd(e.Cost.AudioInput)), Long("audio_output_nanos", e => NanoUsd.FromUsd(e.Cost.AudioOutput)),
        Long("image_input_nanos", e => NanoUsd.FromUsd(e.Cost.ImageInput)), Long("image_output_nanos", e => NanoUsd.FromUsd(e.Cost.ImageOutput)),
        Long("image_nanos", e => NanoUsd.FromUsd(e.Cost.Images)), Long("audio_second_nanos", e => NanoUsd.FromUsd(e.Cost.AudioSeconds)),
        Long("character_nanos", e => NanoUsd.FromUsd(e.Cost.Characters)),
        NullableLong("prefix_hash", e => e.PrefixHash), Long("prefix_tokens", e => e.PrefixTokens), NullableLong("prompt_hash", e => e.PromptHash),
        NullableLong("turn_simhash", e => e.TurnSimHash), Int("message_count", e => e.MessageCount), Text("finish_reason", e => e.FinishReason),
        Int("tool_call_count", e => e.ToolCallCount), Text("client_family", e => e.ClientFamily), Text("key_kind", e => e.KeyKind),
        Text("batch_id", e => e.BatchId),
        Text("cache_hit", e => e.CacheHit), Text("cache_source_id", e => e.CacheSourceId),
    ];

    private static readonly string ColumnList = string.Join(", ", Columns.Select(c => c.Name));

    private static readonly string InsertSql =
        $"INSERT INTO ledger ({ColumnList}) SELECT * FROM unnest({string.Join(", ", Columns.Select((c, i) => $"${i + 1}"))}) " +
        "ON CONFLICT (id) DO NOTHING RETURNING id;";

    private static readonly string[] Measures = LedgerRollups.Measures.Split(", ");

    private const string TotalTokens = "uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens + output_tokens";

    /// <summary>Imports: insert one row, or replace the stored one when this copy carries more tokens; RETURNING says whether it did either.</summary>
    private static readonly string MergeSql =
        $"INSERT INTO ledger ({ColumnList}) SELECT * FROM unnest({string.Join(", ", Columns.Select((c, i) => $"${i + 1}"))}) " +
        $"ON CONFLICT (id) DO UPDATE SET {string.Join(", ", Columns.Skip(1).Select(c => $"{c.Name} = excluded.{c.Name}"))} " +
        $"WHERE ({string.Join(" + ", TotalTokens.Split(" + ").Select(c => "excluded." + c))}) > ({string.Join(" + ", TotalTokens.Split(" + ").Select(c => "ledger." + c))}) " +
        "RETURNING id;";

    /// <summary>Writes the batch in one transaction; returns how many rows were new.</summary>
    public int Write(IReadOnlyList<LedgerEntry> entries)
    {
        if (entries.Count == 0) return 0;
        // One row per id, the first occurrence winning, as SQLite's row-by-row INSERT OR IGNORE does within a batch.
        var seen = new HashSet<string>(entries.Count, StringComparer.Ordinal);
        var rows = new List<LedgerEntry>(entries.Count);
        foreach (var e in entries)
        {
            if (seen.Add(e.Id)) rows.Add(e);
        }
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        var inserted = new List<LedgerEntry>(rows.Count);
        using (var insert = new NpgsqlCommand(InsertSql, connection, tx))
        {
            // Rows go in id order and rollup cells in key order (table by table, always in the same order), so that
            // writers of overlapping batches at once (replicas, a replay beside live traffic) take their row locks in
            // one global order and wait for each other instead of deadlocking.
            var ordered = rows.OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
            foreach (var c in Columns) insert.Parameters.Add(c.Parameter(ordered));
            using var reader = insert.ExecuteReader();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read()) ids.Add(reader.GetString(0));
            foreach (var e in rows)
            {
                if (ids.Contains(e.Id)) inserted.Add(e);
            }
        }
        // Rollups count only rows that were new, in the same transaction: replays stay idempotent.
        ApplyRollups(connection, tx, inserted, +1);
        tx.Commit();
        return inserted.Count;
    }

    /// <summary>
    /// Offline imports, as <see cref="SqliteLedgerStore.Merge"/>: inserts new rows, and replaces an existing row only when
    /// the new one carries more tokens (a streamed message logged again once complete); the rollups retract the old copy
    /// and add the new one, in the same transaction. Row by row, in batch order (a later copy of an id in the same batch
    /// is compared with the earlier one), each stored row locked while it is compared. Returns how many rows were added or grown.
    /// </summary>
    public int Merge(IReadOnlyList<LedgerEntry> entries)
    {
        if (entries.Count == 0) return 0;
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        using var find = new NpgsqlCommand($"SELECT {ColumnList} FROM ledger WHERE id = $1 FOR UPDATE;", connection, tx);
        var id = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text };
        find.Parameters.Add(id);
        var added = new List<LedgerEntry>(entries.Count);
        var replaced = new List<LedgerEntry>();
        foreach (var e in entries)
        {
            id.Value = e.Id;
            LedgerEntry? old = null;
            using (var reader = find.ExecuteReader())
            {
                if (reader.Read()) old = StoredRows.Ledger(reader);
            }
            using var upsert = new NpgsqlCommand(MergeSql, connection, tx);
            foreach (var c in Columns) upsert.Parameters.Add(c.Parameter([e]));
            using (var reader = upsert.ExecuteReader())
            {
                if (!reader.Read()) continue;
            }
            if (old is not null) replaced.Add(old);
            added.Add(e);
        }
        ApplyRollups(connection, tx, replaced, -1);
        ApplyRollups(connection, tx, added, +1);
        tx.Commit();
        return added.Count;
    }

    private static void ApplyRollups(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<LedgerEntry> rows, int sign)
    {
        using var batch = new NpgsqlBatch(connection, tx);
        foreach (var (spec, cells) in LedgerRollups.Aggregate(rows, sign))
        {
            var dims = spec.Dims.Split(", ");
            var names = new[] { "bucket" }.Concat(dims).Concat(Measures).ToArray();
            var command = new NpgsqlBatchCommand(
                $"INSERT INTO {spec.Table} ({string.Join(", ", names)}) SELECT * FROM unnest({string.Join(", ", names.Select((_, i) => $"${i + 1}"))}) " +
                $"ON CONFLICT (bucket, {spec.Dims}) DO UPDATE SET {string.Join(", ", Measures.Select(m => $"{m} = {spec.Table}.{m} + excluded.{m}"))};");
            var ordered = cells.OrderBy(c => c.Key.Bucket, StringComparer.Ordinal).ThenBy(c => c.Key.Team, StringComparer.Ordinal)
                .ThenBy(c => c.Key.Person, StringComparer.Ordinal).ThenBy(c => c.Key.Project, StringComparer.Ordinal)
                .ThenBy(c => c.Key.Feature, StringComparer.Ordinal).ThenBy(c => c.Key.Model, StringComparer.Ordinal)
                .ThenBy(c => c.Key.Provider, StringComparer.Ordinal).ThenBy(c => c.Key.Outcome, StringComparer.Ordinal).ToArray();
            var keys = ordered.Select(c => c.Key).ToArray();
            var sums = ordered.Select(c => c.Value).ToArray();
            command.Parameters.Add(TextArray(keys.Select(k => k.Bucket)));
            foreach (var d in dims)
            {
                command.Parameters.Add(TextArray(keys.Select(k => d switch
                {
                    "person" => k.Person, "team" => k.Team, "project" => k.Project, "feature" => k.Feature,
                    "model" => k.Model, "provider" => k.Provider, "outcome" => k.Outcome,
                    _ => throw new InvalidOperationException("unknown rollup dimension " + d),
                })));
            }
            command.Parameters.Add(LongArray(sums.Select(s => s.Requests)));
            command.Parameters.Add(LongArray(sums.Select(s => s.UncachedInput)));
            command.Parameters.Add(LongArray(sums.Select(s => s.CacheRead)));
            command.Parameters.Add(LongArray(sums.Select(s => s.CacheWrite5m)));
            command.Parameters.Add(LongArray(sums.Select(s => s.CacheWrite1h)));
            command.Parameters.Add(LongArray(sums.Select(s => s.Output)));
            command.Parameters.Add(LongArray(sums.Select(s => s.Reasoning)));
            command.Parameters.Add(LongArray(sums.Select(s => s.CostNanos)));
            command.Parameters.Add(LongArray(sums.Select(s => s.CacheReadNanos)));
            command.Parameters.Add(LongArray(sums.Select(s => s.CacheHits)));
            command.Parameters.Add(LongArray(sums.Select(s => s.Degraded)));
            command.Parameters.Add(LongArray(sums.Select(s => s.Errors)));
            var savings = sums.Select(s => s.SavingsValues()).ToArray();
            for (var i = 0; i < LedgerRollups.SavingsMeasureNames.Length; i++) command.Parameters.Add(LongArray(savings.Select(v => v[i])));
            command.Parameters.Add(LongArray(sums.Select(s => s.ToolCallNanos)));
            command.Parameters.Add(LongArray(sums.Select(s => s.AudioNanos)));
            command.Parameters.Add(LongArray(sums.Select(s => s.ImageNanos)));
            batch.BatchCommands.Add(command);
        }
        if (batch.BatchCommands.Count > 0) batch.ExecuteNonQuery();
    }

    public IReadOnlyList<LedgerEntry> Read(DateTimeOffset? since = null, DateTimeOffset? until = null) => Stream(since, until).ToList();

    /// <summary>Rows one at a time, in time order (then id), without holding them all; the connection stays open while the caller enumerates.</summary>
    public IEnumerable<LedgerEntry> Stream(DateTimeOffset? since = null, DateTimeOffset? until = null)
    {
        using var connection = database.Open();
        using var query = new NpgsqlCommand(
            $"SELECT {ColumnList} FROM ledger WHERE started_at >= $1 AND started_at < $2 ORDER BY started_at, id;", connection);
        query.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = Time(since ?? DateTimeOffset.MinValue) });
        query.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = Time(until ?? DateTimeOffset.MaxValue) });
        using var reader = query.ExecuteReader();
        while (reader.Read()) yield return StoredRows.Ledger(reader);
    }

    public long Count()
    {
        using var connection = database.Open();
        using var query = new NpgsqlCommand("SELECT COUNT(*) FROM ledger;", connection);
        return (long)query.ExecuteScalar()!;
    }

    private static string Time(DateTimeOffset t) => StoredRows.Time(t);

    private static string TierName(ServiceTier t) => StoredRows.TierName(t);


    /// <summary>A ledger column: its name and how to turn a batch into its array parameter.</summary>
    private sealed record Column(string Name, Func<IReadOnlyList<LedgerEntry>, NpgsqlParameter> Parameter);

    private static Column Text(string name, Func<LedgerEntry, string?> value) => new(name, rows => TextArray(rows.Select(value)));
    private static Column Long(string name, Func<LedgerEntry, long> value) => new(name, rows => LongArray(rows.Select(value)));

    private static Column Int(string name, Func<LedgerEntry, int> value) =>
        new(name, rows => new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, Value = rows.Select(value).ToArray() });

    private static Column Bool(string name, Func<LedgerEntry, bool> value) =>
        new(name, rows => new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean, Value = rows.Select(value).ToArray() });

    private static Column Double(string name, Func<LedgerEntry, double> value) =>
        new(name, rows => new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double, Value = rows.Select(value).ToArray() });

    private static Column NullableLong(string name, Func<LedgerEntry, long?> value) =>
        new(name, rows => new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = rows.Select(value).ToArray() });

    private static Column NullableDouble(string name, Func<LedgerEntry, double?> value) =>
        new(name, rows => new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double, Value = rows.Select(value).ToArray() });

    private static NpgsqlParameter TextArray(IEnumerable<string?> values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = values.ToArray() };

    private static NpgsqlParameter LongArray(IEnumerable<long> values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = values.ToArray() };
}
