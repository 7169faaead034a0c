using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;

namespace TokenOps.Storage.Sqlite;

/// <summary>Ledger rows in SQLite. Inserts are idempotent on the event id (INSERT OR IGNORE), so replays never double-count.</summary>
public sealed class SqliteLedgerStore(SqliteDatabase database) : ILedgerStore, IDisposable
{
    private const string Columns =
        "id, started_at, ended_at, route, key_id, person, team, project, feature, ticket, pull_request, tags, provider, " +
        "requested_model, served_model, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, " +
        "output_tokens, reasoning_tokens, service_tier, uncached_input_nanos, cache_read_nanos, cache_write_5m_nanos, " +
        "cache_write_1h_nanos, output_nanos, reasoning_nanos, cost_nanos, catalog_version, streamed, estimated, status, " +
        "outcome, error_code, latency_ms, ttft_ms, provider_request_id, source, session_id, budget_action, justification, " +
        "web_search_calls, web_fetch_calls, file_search_calls, tool_call_nanos, " +
        "saved_routed_nanos, saved_degraded_nanos, saved_capped_nanos, saved_cache_breakpoint_nanos, saved_cache_hit_nanos, saved_batch_nanos, " +
        "savings_levers, route_score, parent_id, output_control, price_estimated, " +
        "audio_input_tokens, audio_output_tokens, image_input_tokens, image_output_tokens, images, audio_ms, characters, " +
        "audio_input_nanos, audio_output_nanos, image_input_nanos, image_output_nanos, image_nanos, audio_second_nanos, character_nanos, " +
        "prefix_hash, prefix_tokens, prompt_hash, turn_simhash, message_count, finish_reason, tool_call_count, client_family, key_kind, batch_id, cache_hit, cache_source_id";

    private static readonly string[] ColumnNames = Columns.Split(", ");
    private static readonly string ColumnValues = string.Join(", ", ColumnNames.Select((_, i) => "?" + (i + 1).ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// A prepared insert or upsert of whole rows, bound by position through SQLite's own API. Binding by name through
    /// ADO.NET looked every parameter up by name and boxed every value, per column and row: that was most of the
    /// ledger writer's allocations and a visible share of the gateway's CPU under load.
    /// </summary>
    private sealed class RowCommand : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _statement;

        /// <summary>Runs on the connection's open transaction (the caller's <see cref="SqliteTransaction"/>).</summary>
        public RowCommand(SqliteConnection connection, string sql)
        {
            _db = connection.Handle!;
            Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
        }

        /// <summary>Runs the command for one row; returns the number of rows changed (0 for an ignored duplicate).</summary>
        public int Execute(LedgerEntry entry)
        {
            Bind(entry);
            try
            {
                var rc = raw.sqlite3_step(_statement);
                if (rc != raw.SQLITE_DONE) Check(rc);
                return raw.sqlite3_changes(_db);
            }
            finally
            {
                raw.sqlite3_reset(_statement);
            }
        }

        private void Check(int rc)
        {
            if (rc != raw.SQLITE_OK && rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW) SqliteException.ThrowExceptionForRC(rc, _db);
        }

        // Positions follow Columns (1-based, as SQLite numbers "?" parameters).
        private void Text(int i, string? v) => Check(v is null ? raw.sqlite3_bind_null(_statement, i) : raw.sqlite3_bind_text(_statement, i, v));
        private void Int(int i, long v) => Check(raw.sqlite3_bind_int64(_statement, i, v));
        private void NullableInt(int i, long? v) => Check(v is { } n ? raw.sqlite3_bind_int64(_statement, i, n) : raw.sqlite3_bind_null(_statement, i));
        private void Real(int i, double? v) => Check(v is { } d ? raw.sqlite3_bind_double(_statement, i, d) : raw.sqlite3_bind_null(_statement, i));

        private void Bind(LedgerEntry e)
        {
            Text(1, e.Id); Text(2, Time(e.StartedAt)); Text(3, Time(e.EndedAt)); Text(4, e.Route);
            Text(5, e.KeyId); Text(6, e.Person); Text(7, e.Team); Text(8, e.Project);
            Text(9, e.Feature); Text(10, e.Ticket); Text(11, e.PullRequest); Text(12, e.Tags);
            Text(13, e.Provider); Text(14, e.RequestedModel); Text(15, e.ServedModel);
            var u = e.Usage;
            Int(16, u.UncachedInput); Int(17, u.CacheRead); Int(18, u.CacheWrite5m); Int(19, u.CacheWrite1h);
            Int(20, u.Output); Int(21, u.Reasoning); Text(22, TierName(u.Tier));
            var c = e.Cost;
            Int(23, NanoUsd.FromUsd(c.UncachedInput)); Int(24, NanoUsd.FromUsd(c.CacheRead)); Int(25, NanoUsd.FromUsd(c.CacheWrite5m));
            Int(26, NanoUsd.FromUsd(c.CacheWrite1h)); Int(27, NanoUsd.FromUsd(c.Output)); Int(28, NanoUsd.FromUsd(c.Reasoning));
            // The total is the rounded total, not the sum of rounded buckets: it is the figure that must match the provider's bill.
            Int(29, e.CostNanos);
            Text(30, e.CatalogVersion); Int(31, e.Streamed ? 1 : 0); Int(32, e.Estimated ? 1 : 0);
            Int(33, e.Status); Text(34, e.Outcome.Name()); Text(35, e.ErrorCode);
            Real(36, e.LatencyMs); Real(37, e.TimeToFirstTokenMs); Text(38, e.ProviderRequestId);
            Text(39, e.Source); Text(40, e.SessionId); Text(41, e.BudgetAction); Text(42, e.Justification);
            Int(43, u.WebSearchCalls); Int(44, u.WebFetchCalls); Int(45, u.FileSearchCalls); Int(46, NanoUsd.FromUsd(c.ToolCalls));
            var s = e.Savings;
            Int(47, s.NanosOf(SavingsLevers.Routed)); Int(48, s.NanosOf(SavingsLevers.Degraded)); Int(49, s.NanosOf(SavingsLevers.Capped));
            Int(50, s.NanosOf(SavingsLevers.CacheBreakpoint)); Int(51, s.NanosOf(SavingsLevers.CacheHit)); Int(52, s.NanosOf(SavingsLevers.Batch));
            Text(53, e.Levers); Real(54, e.RouteScore); Text(55, e.ParentId); Text(56, e.OutputControl);
            Int(57, e.PriceEstimated ? 1 : 0);
            Int(58, u.AudioInput); Int(59, u.AudioOutput); Int(60, u.ImageInput); Int(61, u.ImageOutput);
            Int(62, u.Images); Int(63, u.AudioMilliseconds); Int(64, u.Characters);
            Int(65, NanoUsd.FromUsd(c.AudioInput)); Int(66, NanoUsd.FromUsd(c.AudioOutput)); Int(67, NanoUsd.FromUsd(c.ImageInput));
            Int(68, NanoUsd.FromUsd(c.ImageOutput)); Int(69, NanoUsd.FromUsd(c.Images)); Int(70, NanoUsd.FromUsd(c.AudioSeconds));
            Int(71, NanoUsd.FromUsd(c.Characters));
            NullableInt(72, e.PrefixHash); Int(73, e.PrefixTokens); NullableInt(74, e.PromptHash); NullableInt(75, e.TurnSimHash);
            Int(76, e.MessageCount); Text(77, e.FinishReason); Int(78, e.ToolCallCount); Text(79, e.ClientFamily); Text(80, e.KeyKind); Text(81, e.BatchId); Text(82, e.CacheHit); Text(83, e.CacheSourceId);
        }

        public void Dispose() => _statement.Dispose();
    }

    private static string TierName(ServiceTier t) => StoredRows.TierName(t);

    private readonly Lock _writeGate = new();
    private WriteSession? _session;

    /// <summary>Writes the batch in one transaction; returns how many rows were new.</summary>
    public int Write(IReadOnlyList<LedgerEntry> entries)
    {
        if (entries.Count == 0) return 0;
        lock (_writeGate)
        {
            _session ??= new WriteSession(database.Open());
            try
            {
                return _session.Write(entries);
            }
            catch
            {
                // Start clean next time (the writer retries): a new connection, statements prepared again.
                _session.Dispose();
                _session = null;
                throw;
            }
        }
    }

    /// <summary>Closes the writer's connection (a later write opens a new one).</summary>
    public void Dispose()
    {
        lock (_writeGate)
        {
            _session?.Dispose();
            _session = null;
        }
    }

    /// <summary>
    /// One connection kept for the store's life, with the ledger insert and the rollup upserts prepared once. Opening a
    /// connection and preparing twelve statements per batch cost about as much as the rows themselves at a few
    /// requests a second, where a batch holds one or two rows (bench/run.sh with SIM_LATENCY_MS=20: 1.76 ms of gateway
    /// CPU per request at c=1 against 0.85 ms for a bare relay).
    /// </summary>
    private sealed class WriteSession(SqliteConnection connection) : IDisposable
    {
        private readonly RowCommand _insert = new(connection, $"INSERT OR IGNORE INTO ledger ({Columns}) VALUES ({ColumnValues});");
        private readonly LedgerRollups.Upserts _rollups = new(connection);

        public int Write(IReadOnlyList<LedgerEntry> entries)
        {
            using var tx = connection.BeginTransaction();
            var inserted = new List<LedgerEntry>(entries.Count);
            foreach (var e in entries)
            {
                if (_insert.Execute(e) > 0) inserted.Add(e);
            }
            // Rollups count only rows that were new, in the same transaction: replays stay idempotent.
            LedgerRollups.Apply(_rollups, tx, inserted);
            tx.Commit();
            return inserted.Count;
        }

        public void Dispose()
        {
            _rollups.Dispose();
            _insert.Dispose();
            connection.Dispose();
        }
    }

    /// <summary>
    /// Offline imports: inserts new rows, and replaces an existing row only when the new one carries more tokens (a
    /// streamed message logged again once complete). Returns how many rows were added or grown.
    /// </summary>
    public int Merge(IReadOnlyList<LedgerEntry> entries)
    {
        if (entries.Count == 0) return 0;
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        const string Total = "uncached_input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens + output_tokens";
        using var upsert = new RowCommand(connection, $"INSERT INTO ledger ({Columns}) VALUES ({ColumnValues}) " +
            $"ON CONFLICT(id) DO UPDATE SET {string.Join(", ", ColumnNames.Skip(1).Select(c => $"{c} = excluded.{c}"))} " +
            $"WHERE ({string.Join(" + ", Total.Split(" + ").Select(c => "excluded." + c))}) > ({Total});");
        // The rollups must follow a replaced row: retract the old copy, add the new one (same transaction).
        using var find = connection.CreateCommand();
        find.Transaction = tx;
        find.CommandText = $"SELECT {Columns} FROM ledger WHERE id = $id;";
        var id = find.Parameters.Add(new SqliteParameter("$id", null));
        find.Prepare();
        var added = new List<LedgerEntry>(entries.Count);
        var replaced = new List<LedgerEntry>();
        foreach (var e in entries)
        {
            id.Value = e.Id;
            LedgerEntry? old = null;
            using (var reader = find.ExecuteReader())
                if (reader.Read()) old = StoredRows.Ledger(reader);
            if (upsert.Execute(e) == 0) continue;
            if (old is not null) replaced.Add(old);
            added.Add(e);
        }
        LedgerRollups.Retract(connection, tx, replaced);
        LedgerRollups.Apply(connection, tx, added);
        tx.Commit();
        return added.Count;
    }

    public IReadOnlyList<LedgerEntry> Read(DateTimeOffset? since = null, DateTimeOffset? until = null) => Stream(since, until).ToList();

    /// <summary>
    /// Rows one at a time, in time order, without holding them all (exports of a month or more). The connection stays
    /// open while the caller enumerates; WAL lets the gateway keep writing meanwhile.
    /// </summary>
    public IEnumerable<LedgerEntry> Stream(DateTimeOffset? since = null, DateTimeOffset? until = null)
    {
        using var connection = database.Open();
        using var query = connection.CreateCommand();
        query.CommandText = $"SELECT {Columns} FROM ledger WHERE started_at >= $since AND started_at < $until ORDER BY started_at, id;";
        query.Parameters.AddWithValue("$since", Time(since ?? DateTimeOffset.MinValue));
        query.Parameters.AddWithValue("$until", Time(until ?? DateTimeOffset.MaxValue));
        using var reader = query.ExecuteReader();
        while (reader.Read()) yield return StoredRows.Ledger(reader);
    }

    public long Count()
    {
        using var connection = database.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT COUNT(*) FROM ledger;";
        return (long)query.ExecuteScalar()!;
    }

    private static string Time(DateTimeOffset t) => StoredRows.Time(t);

}
