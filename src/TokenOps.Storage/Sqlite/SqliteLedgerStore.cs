using System.Globalization;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;

namespace TokenOps.Storage.Sqlite;

/// <summary>Ledger rows in SQLite. Inserts are idempotent on the event id (INSERT OR IGNORE), so replays never double-count.</summary>
public sealed class SqliteLedgerStore(SqliteDatabase database) : ILedgerStore
{
    private const string Columns =
        "id, started_at, ended_at, route, key_id, person, team, project, feature, ticket, pull_request, tags, provider, " +
        "requested_model, served_model, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, " +
        "output_tokens, reasoning_tokens, service_tier, uncached_input_nanos, cache_read_nanos, cache_write_5m_nanos, " +
        "cache_write_1h_nanos, output_nanos, reasoning_nanos, cost_nanos, catalog_version, streamed, estimated, status, " +
        "outcome, error_code, latency_ms, ttft_ms, provider_request_id, source, session_id, budget_action, justification";

    private static readonly string[] ColumnNames = Columns.Split(", ");
    private static readonly string ColumnValues = string.Join(", ", ColumnNames.Select(c => "$" + c));

    /// <summary>A prepared insert or upsert of whole rows: one parameter per ledger column, bound per row.</summary>
    private sealed class RowCommand : IDisposable
    {
        private readonly SqliteCommand _command;
        private readonly Dictionary<string, SqliteParameter> _parameters;

        public RowCommand(SqliteConnection connection, SqliteTransaction tx, string sql)
        {
            _command = connection.CreateCommand();
            _command.Transaction = tx;
            _command.CommandText = sql;
            _parameters = ColumnNames.ToDictionary(c => c, c => _command.Parameters.Add(new SqliteParameter("$" + c, null)));
            _command.Prepare();
        }

        /// <summary>Runs the command for one row; returns the number of rows changed (0 for an ignored duplicate).</summary>
        public int Execute(LedgerEntry entry)
        {
            Bind(_parameters, entry);
            return _command.ExecuteNonQuery();
        }

        public void Dispose() => _command.Dispose();
    }

    /// <summary>Writes the batch in one transaction; returns how many rows were new.</summary>
    public int Write(IReadOnlyList<LedgerEntry> entries)
    {
        if (entries.Count == 0) return 0;
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        using var insert = new RowCommand(connection, tx, $"INSERT OR IGNORE INTO ledger ({Columns}) VALUES ({ColumnValues});");
        var inserted = new List<LedgerEntry>(entries.Count);
        foreach (var e in entries)
        {
            if (insert.Execute(e) > 0) inserted.Add(e);
        }
        // Rollups count only rows that were new, in the same transaction: replays stay idempotent.
        LedgerRollups.Apply(connection, tx, inserted);
        tx.Commit();
        return inserted.Count;
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
        using var upsert = new RowCommand(connection, tx, $"INSERT INTO ledger ({Columns}) VALUES ({ColumnValues}) " +
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
                if (reader.Read()) old = ReadRow(reader);
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
        while (reader.Read()) yield return ReadRow(reader);
    }

    public long Count()
    {
        using var connection = database.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT COUNT(*) FROM ledger;";
        return (long)query.ExecuteScalar()!;
    }

    // ISO 8601 UTC with fixed width so that text order is time order.
    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static void Bind(Dictionary<string, SqliteParameter> p, LedgerEntry e)
    {
        void Set(string name, object? value) => p[name].Value = value ?? DBNull.Value;
        Set("id", e.Id); Set("started_at", Time(e.StartedAt)); Set("ended_at", Time(e.EndedAt)); Set("route", e.Route);
        Set("key_id", e.KeyId); Set("person", e.Person); Set("team", e.Team); Set("project", e.Project);
        Set("feature", e.Feature); Set("ticket", e.Ticket); Set("pull_request", e.PullRequest); Set("tags", e.Tags);
        Set("provider", e.Provider); Set("requested_model", e.RequestedModel); Set("served_model", e.ServedModel);
        var u = e.Usage;
        Set("uncached_input_tokens", u.UncachedInput); Set("cache_read_tokens", u.CacheRead);
        Set("cache_write_5m_tokens", u.CacheWrite5m); Set("cache_write_1h_tokens", u.CacheWrite1h);
        Set("output_tokens", u.Output); Set("reasoning_tokens", u.Reasoning); Set("service_tier", u.Tier.ToString());
        var c = e.Cost;
        long uncached = NanoUsd.FromUsd(c.UncachedInput), read = NanoUsd.FromUsd(c.CacheRead),
            w5 = NanoUsd.FromUsd(c.CacheWrite5m), w1 = NanoUsd.FromUsd(c.CacheWrite1h),
            output = NanoUsd.FromUsd(c.Output), reasoning = NanoUsd.FromUsd(c.Reasoning);
        Set("uncached_input_nanos", uncached); Set("cache_read_nanos", read); Set("cache_write_5m_nanos", w5);
        Set("cache_write_1h_nanos", w1); Set("output_nanos", output); Set("reasoning_nanos", reasoning);
        // The total is the rounded total, not the sum of rounded buckets: it is the figure that must match the provider's bill.
        Set("cost_nanos", e.CostNanos);
        Set("catalog_version", e.CatalogVersion); Set("streamed", e.Streamed ? 1 : 0); Set("estimated", e.Estimated ? 1 : 0);
        Set("status", e.Status); Set("outcome", e.Outcome.ToString()); Set("error_code", e.ErrorCode);
        Set("latency_ms", e.LatencyMs); Set("ttft_ms", e.TimeToFirstTokenMs); Set("provider_request_id", e.ProviderRequestId);
        Set("source", e.Source); Set("session_id", e.SessionId); Set("budget_action", e.BudgetAction); Set("justification", e.Justification);
    }

    private static LedgerEntry ReadRow(SqliteDataReader r)
    {
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        DateTimeOffset T(int i) => DateTimeOffset.Parse(r.GetString(i), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        return new LedgerEntry
        {
            Id = r.GetString(0), StartedAt = T(1), EndedAt = T(2), Route = r.GetString(3), KeyId = S(4), Person = S(5),
            Team = S(6), Project = S(7), Feature = S(8), Ticket = S(9), PullRequest = S(10), Tags = S(11), Provider = S(12),
            RequestedModel = S(13), ServedModel = S(14),
            Usage = new TokenUsage
            {
                UncachedInput = r.GetInt64(15), CacheRead = r.GetInt64(16), CacheWrite5m = r.GetInt64(17),
                CacheWrite1h = r.GetInt64(18), Output = r.GetInt64(19), Reasoning = r.GetInt64(20),
                Tier = Enum.Parse<ServiceTier>(r.GetString(21)),
            },
            Cost = new CostBreakdown
            {
                UncachedInput = NanoUsd.ToUsd(r.GetInt64(22)), CacheRead = NanoUsd.ToUsd(r.GetInt64(23)),
                CacheWrite5m = NanoUsd.ToUsd(r.GetInt64(24)), CacheWrite1h = NanoUsd.ToUsd(r.GetInt64(25)),
                Output = NanoUsd.ToUsd(r.GetInt64(26)), Reasoning = NanoUsd.ToUsd(r.GetInt64(27)),
            },
            CostNanos = r.GetInt64(28),
            CatalogVersion = S(29), Streamed = r.GetInt64(30) != 0, Estimated = r.GetInt64(31) != 0, Status = r.GetInt32(32),
            Outcome = Enum.Parse<LedgerOutcome>(r.GetString(33)), ErrorCode = S(34), LatencyMs = r.GetDouble(35),
            TimeToFirstTokenMs = r.IsDBNull(36) ? null : r.GetDouble(36), ProviderRequestId = S(37),
            Source = r.GetString(38), SessionId = S(39), BudgetAction = S(40), Justification = S(41),
        };
    }
}
