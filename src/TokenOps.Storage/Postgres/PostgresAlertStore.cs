using Npgsql;
using NpgsqlTypes;
using TokenOps.Core.Alerts;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using TokenOps.Storage.Sqlite;
using static TokenOps.Storage.Postgres.PostgresOutcomeStore;

namespace TokenOps.Storage.Postgres;

/// <summary>
/// Alerts and their webhook outbox in PostgreSQL, behaving exactly as <see cref="SqliteAlertStore"/> (the shared
/// conformance suite checks it). An alert is inserted once per dedupe key (budget|period|kind|threshold): its insert is
/// <c>ON CONFLICT DO NOTHING</c> on any unique key (id or dedupe key), so of two replicas adding the same alert at once
/// the second waits for the first's transaction and then adds nothing. The outbox rows (one per webhook) are inserted in
/// the same transaction; delivery state (attempts, next attempt, last error) survives restarts.
/// <para>
/// <see cref="Due"/> is a plain read, as SQLite's; replicas deliver through <see cref="Claim"/>, which leases the rows it
/// returns (their next attempt moved past the lease), so two replicas never deliver the same row.
/// </para>
/// </summary>
public sealed class PostgresAlertStore(PostgresDatabase database) : IAlertStore
{
    /// <summary>Records the alert and queues it for each webhook, unless an alert with its dedupe key exists. Returns true when new.</summary>
    public bool TryAdd(Alert alert, IEnumerable<string> webhooks)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        using (var insert = new NpgsqlCommand("""
            INSERT INTO alerts (id, dedupe_key, kind, budget_id, level, name, threshold, spent_nanos, limit_nanos,
                projected_exhaustion, period_start, period_end, message, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT DO NOTHING;
            """, connection, tx))
        {
            insert.Parameters.Add(Text(alert.Id));
            insert.Parameters.Add(Text(alert.DedupeKey));
            insert.Parameters.Add(Text(alert.Kind.ToString()));
            insert.Parameters.Add(Text(alert.BudgetId));
            insert.Parameters.Add(Text(alert.Level.ToString()));
            insert.Parameters.Add(Text(alert.Name));
            insert.Parameters.Add(Long(alert.Threshold));
            insert.Parameters.Add(Long(NanoUsd.FromUsd(alert.Spent)));
            insert.Parameters.Add(Long(NanoUsd.FromUsd(alert.Limit)));
            insert.Parameters.Add(Text(alert.ProjectedExhaustion is { } e ? Time(e) : null));
            insert.Parameters.Add(Text(Time(alert.PeriodStart)));
            insert.Parameters.Add(Text(Time(alert.PeriodEnd)));
            insert.Parameters.Add(Text(alert.Message));
            insert.Parameters.Add(Text(Time(alert.CreatedAt)));
            if (insert.ExecuteNonQuery() == 0) return false;
        }
        var distinct = webhooks.Distinct(StringComparer.Ordinal).ToArray();
        if (distinct.Length > 0)
        {
            using var queue = new NpgsqlCommand(
                "INSERT INTO alert_deliveries (alert_id, webhook, attempts, next_attempt_at) SELECT $1, w, 0, $3 FROM unnest($2) AS w " +
                "ON CONFLICT (alert_id, webhook) DO NOTHING;", connection, tx);
            queue.Parameters.Add(Text(alert.Id));
            queue.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = distinct });
            queue.Parameters.Add(Text(Time(alert.CreatedAt)));
            queue.ExecuteNonQuery();
        }
        tx.Commit();
        return true;
    }

    /// <summary>Undelivered outbox rows due at <paramref name="now"/>, oldest first, with their alerts.</summary>
    public IReadOnlyList<(Alert Alert, AlertDelivery Delivery)> Due(DateTimeOffset now, int max = 100)
    {
        using var connection = database.Open();
        using var query = new NpgsqlCommand($"""
            SELECT {AlertColumns}, d.alert_id, d.webhook, d.attempts, d.next_attempt_at, d.delivered_at, d.last_error
            FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
            WHERE d.delivered_at IS NULL AND d.next_attempt_at <= $1
            ORDER BY d.next_attempt_at, a.created_at, a.id COLLATE "C" LIMIT $2;
            """, connection);
        query.Parameters.Add(Text(Time(now)));
        // SQLite reads a negative LIMIT as no limit; PostgreSQL refuses one (NULL is its "no limit").
        query.Parameters.Add(Long(max < 0 ? null : max));
        using var reader = query.ExecuteReader();
        var rows = new List<(Alert, AlertDelivery)>();
        while (reader.Read()) rows.Add((ReadAlert(reader), ReadDelivery(reader, 14)));
        return rows;
    }

    /// <summary>
    /// One statement: the due rows are locked (<c>FOR UPDATE SKIP LOCKED</c>: a replica claiming at the same moment
    /// skips them instead of waiting) and their next attempt moved past the lease before the locks are released, so
    /// the claim outlives the transaction. RETURNING gives the rows as they were (the old next attempt comes from the CTE).
    /// </summary>
    public IReadOnlyList<(Alert Alert, AlertDelivery Delivery)> Claim(DateTimeOffset now, TimeSpan lease, int max = 100)
    {
        using var connection = database.Open();
        using var query = new NpgsqlCommand($"""
            WITH due AS (
                SELECT d.alert_id, d.webhook, d.next_attempt_at FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
                WHERE d.delivered_at IS NULL AND d.next_attempt_at <= $1
                ORDER BY d.next_attempt_at, a.created_at, a.id COLLATE "C" LIMIT $2
                FOR UPDATE OF d SKIP LOCKED),
            claimed AS (
                UPDATE alert_deliveries u SET next_attempt_at = $3 FROM due
                WHERE u.alert_id = due.alert_id AND u.webhook = due.webhook
                RETURNING u.alert_id, u.webhook, u.attempts, due.next_attempt_at AS was_due, u.delivered_at, u.last_error)
            SELECT {AlertColumns}, d.alert_id, d.webhook, d.attempts, d.was_due, d.delivered_at, d.last_error
            FROM claimed d JOIN alerts a ON a.id = d.alert_id
            ORDER BY d.was_due, a.created_at, a.id COLLATE "C";
            """, connection);
        query.Parameters.Add(Text(Time(now)));
        query.Parameters.Add(Long(max));
        query.Parameters.Add(Text(Time(now + lease)));
        using var reader = query.ExecuteReader();
        var rows = new List<(Alert, AlertDelivery)>();
        while (reader.Read()) rows.Add((ReadAlert(reader), ReadDelivery(reader, 14)));
        return rows;
    }

    public void Release(string alertId, string webhook, DateTimeOffset dueAt) =>
        Update(alertId, webhook, "UPDATE alert_deliveries SET next_attempt_at = $3 WHERE alert_id = $1 AND webhook = $2 AND delivered_at IS NULL;",
            Text(Time(dueAt)));

    public void MarkDelivered(string alertId, string webhook, DateTimeOffset at) =>
        Update(alertId, webhook, "UPDATE alert_deliveries SET attempts = attempts + 1, delivered_at = $3, last_error = NULL WHERE alert_id = $1 AND webhook = $2;",
            Text(Time(at)));

    public void MarkFailed(string alertId, string webhook, DateTimeOffset nextAttemptAt, string error) =>
        Update(alertId, webhook, "UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = $3, last_error = $4 WHERE alert_id = $1 AND webhook = $2;",
            Text(Time(nextAttemptAt)), Text(error.Length > 500 ? error[..500] : error));

    /// <summary>Alerts created at or after <paramref name="since"/> (all when null), newest first, with their deliveries.</summary>
    public IReadOnlyList<StoredAlert> List(DateTimeOffset? since = null, int max = 1000)
    {
        using var connection = database.Open();
        var alerts = new List<Alert>();
        using (var query = new NpgsqlCommand(
            $"SELECT {AlertColumns} FROM alerts a WHERE a.created_at >= $1 ORDER BY a.created_at DESC, a.id COLLATE \"C\" LIMIT $2;", connection))
        {
            query.Parameters.Add(Text(Time(since ?? DateTimeOffset.MinValue)));
            query.Parameters.Add(Long(max < 0 ? null : max));
            using var reader = query.ExecuteReader();
            while (reader.Read()) alerts.Add(ReadAlert(reader));
        }
        var deliveries = new Dictionary<string, List<AlertDelivery>>(StringComparer.Ordinal);
        // Only the listed alerts' rows (SQLite reads them all and keeps these), in webhook byte order as SQLite's BINARY.
        using (var query = new NpgsqlCommand(
            "SELECT alert_id, webhook, attempts, next_attempt_at, delivered_at, last_error FROM alert_deliveries " +
            "WHERE alert_id = ANY($1) ORDER BY webhook COLLATE \"C\";", connection))
        {
            query.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = alerts.Select(a => a.Id).ToArray() });
            using var reader = query.ExecuteReader();
            while (reader.Read())
            {
                var d = ReadDelivery(reader, 0);
                if (!deliveries.TryGetValue(d.AlertId, out var list)) deliveries[d.AlertId] = list = [];
                list.Add(d);
            }
        }
        return alerts.Select(a => new StoredAlert(a, deliveries.TryGetValue(a.Id, out var d) ? d : [])).ToList();
    }

    private const string AlertColumns =
        "a.id, a.dedupe_key, a.kind, a.budget_id, a.level, a.name, a.threshold, a.spent_nanos, a.limit_nanos, a.projected_exhaustion, " +
        "a.period_start, a.period_end, a.message, a.created_at";

    private void Update(string alertId, string webhook, string sql, params NpgsqlParameter[] values)
    {
        using var connection = database.Open();
        using var update = new NpgsqlCommand(sql, connection);
        update.Parameters.Add(Text(alertId));
        update.Parameters.Add(Text(webhook));
        foreach (var value in values) update.Parameters.Add(value);
        update.ExecuteNonQuery();
    }

    private static NpgsqlParameter Long(long? value) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (object?)value ?? DBNull.Value };

    // threshold and attempts are bigint (SQLite's INTEGER): read as long, narrowed as SQLite's GetInt32 does.
    private static Alert ReadAlert(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), Enum.Parse<AlertKind>(r.GetString(2)), r.GetString(3), Enum.Parse<BudgetLevel>(r.GetString(4)),
        r.GetString(5), r.IsDBNull(6) ? null : checked((int)r.GetInt64(6)), NanoUsd.ToUsd(r.GetInt64(7)), NanoUsd.ToUsd(r.GetInt64(8)),
        r.IsDBNull(9) ? null : StoredRows.ParseTime(r.GetString(9)), StoredRows.ParseTime(r.GetString(10)), StoredRows.ParseTime(r.GetString(11)), r.GetString(12), StoredRows.ParseTime(r.GetString(13)));

    private static AlertDelivery ReadDelivery(NpgsqlDataReader r, int o) => new(
        r.GetString(o), r.GetString(o + 1), checked((int)r.GetInt64(o + 2)), StoredRows.ParseTime(r.GetString(o + 3)),
        r.IsDBNull(o + 4) ? null : StoredRows.ParseTime(r.GetString(o + 4)), r.IsDBNull(o + 5) ? null : r.GetString(o + 5));
}
