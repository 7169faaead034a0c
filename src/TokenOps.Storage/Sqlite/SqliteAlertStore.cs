using System.Globalization;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Alerts;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;

namespace TokenOps.Storage.Sqlite;

/// <summary>
/// Alerts and their webhook outbox in SQLite. An alert is inserted once per dedupe key (budget|period|kind|threshold),
/// together with one outbox row per webhook in the same transaction; delivery state survives restarts.
/// </summary>
public sealed class SqliteAlertStore(SqliteDatabase database) : IAlertStore
{
    /// <summary>Records the alert and queues it for each webhook, unless an alert with its dedupe key exists. Returns true when new.</summary>
    public bool TryAdd(Alert alert, IEnumerable<string> webhooks)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = """
            INSERT OR IGNORE INTO alerts (id, dedupe_key, kind, budget_id, level, name, threshold, spent_nanos, limit_nanos,
                projected_exhaustion, period_start, period_end, message, created_at)
            VALUES ($id, $key, $kind, $budget, $level, $name, $threshold, $spent, $limit, $exhaustion, $ps, $pe, $message, $at);
            """;
        insert.Parameters.AddWithValue("$id", alert.Id);
        insert.Parameters.AddWithValue("$key", alert.DedupeKey);
        insert.Parameters.AddWithValue("$kind", alert.Kind.ToString());
        insert.Parameters.AddWithValue("$budget", alert.BudgetId);
        insert.Parameters.AddWithValue("$level", alert.Level.ToString());
        insert.Parameters.AddWithValue("$name", alert.Name);
        insert.Parameters.AddWithValue("$threshold", (object?)alert.Threshold ?? DBNull.Value);
        insert.Parameters.AddWithValue("$spent", NanoUsd.FromUsd(alert.Spent));
        insert.Parameters.AddWithValue("$limit", NanoUsd.FromUsd(alert.Limit));
        insert.Parameters.AddWithValue("$exhaustion", alert.ProjectedExhaustion is { } e ? Time(e) : DBNull.Value);
        insert.Parameters.AddWithValue("$ps", Time(alert.PeriodStart));
        insert.Parameters.AddWithValue("$pe", Time(alert.PeriodEnd));
        insert.Parameters.AddWithValue("$message", alert.Message);
        insert.Parameters.AddWithValue("$at", Time(alert.CreatedAt));
        if (insert.ExecuteNonQuery() == 0) return false;
        foreach (var webhook in webhooks.Distinct(StringComparer.Ordinal))
        {
            using var queue = connection.CreateCommand();
            queue.Transaction = tx;
            queue.CommandText = "INSERT OR IGNORE INTO alert_deliveries (alert_id, webhook, attempts, next_attempt_at) VALUES ($id, $webhook, 0, $at);";
            queue.Parameters.AddWithValue("$id", alert.Id);
            queue.Parameters.AddWithValue("$webhook", webhook);
            queue.Parameters.AddWithValue("$at", Time(alert.CreatedAt));
            queue.ExecuteNonQuery();
        }
        tx.Commit();
        return true;
    }

    /// <summary>Undelivered outbox rows due at <paramref name="now"/>, oldest first, with their alerts.</summary>
    public IReadOnlyList<(Alert Alert, AlertDelivery Delivery)> Due(DateTimeOffset now, int max = 100)
    {
        using var connection = database.Open();
        return ReadDue(connection, null, now, max);
    }

    private static List<(Alert Alert, AlertDelivery Delivery)> ReadDue(SqliteConnection connection, SqliteTransaction? tx, DateTimeOffset now, int max)
    {
        using var query = connection.CreateCommand();
        query.Transaction = tx;
        query.CommandText = $"""
            SELECT {AlertColumns}, d.alert_id, d.webhook, d.attempts, d.next_attempt_at, d.delivered_at, d.last_error
            FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
            WHERE d.delivered_at IS NULL AND d.next_attempt_at <= $now
            ORDER BY d.next_attempt_at, a.created_at, a.id LIMIT $max;
            """;
        query.Parameters.AddWithValue("$now", Time(now));
        query.Parameters.AddWithValue("$max", max);
        using var reader = query.ExecuteReader();
        var rows = new List<(Alert, AlertDelivery)>();
        while (reader.Read()) rows.Add((ReadAlert(reader), ReadDelivery(reader, 14)));
        return rows;
    }

    public IReadOnlyList<(Alert Alert, AlertDelivery Delivery)> Claim(DateTimeOffset now, TimeSpan lease, int max = 100)
    {
        using var connection = database.Open();
        // BEGIN IMMEDIATE takes the write lock first: two gateways on one file claim one after the other, never the same row.
        using var tx = connection.BeginTransaction(deferred: false);
        var due = ReadDue(connection, tx, now, max);
        using (var update = connection.CreateCommand())
        {
            update.Transaction = tx;
            update.CommandText = "UPDATE alert_deliveries SET next_attempt_at = $until WHERE alert_id = $id AND webhook = $webhook;";
            update.Parameters.AddWithValue("$until", Time(now + lease));
            var id = update.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
            var webhook = update.Parameters.Add("$webhook", Microsoft.Data.Sqlite.SqliteType.Text);
            foreach (var (_, d) in due)
            {
                id.Value = d.AlertId;
                webhook.Value = d.Webhook;
                update.ExecuteNonQuery();
            }
        }
        tx.Commit();
        return due;
    }

    public void Release(string alertId, string webhook, DateTimeOffset dueAt) =>
        Update(alertId, webhook, "UPDATE alert_deliveries SET next_attempt_at = $next WHERE alert_id = $id AND webhook = $webhook AND delivered_at IS NULL;",
            ("$next", Time(dueAt)));

    public void MarkDelivered(string alertId, string webhook, DateTimeOffset at) =>
        Update(alertId, webhook, "UPDATE alert_deliveries SET attempts = attempts + 1, delivered_at = $at, last_error = NULL WHERE alert_id = $id AND webhook = $webhook;",
            ("$at", Time(at)));

    public void MarkFailed(string alertId, string webhook, DateTimeOffset nextAttemptAt, string error) =>
        Update(alertId, webhook, "UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = $next, last_error = $error WHERE alert_id = $id AND webhook = $webhook;",
            ("$next", Time(nextAttemptAt)), ("$error", error.Length > 500 ? error[..500] : error));

    /// <summary>Alerts created at or after <paramref name="since"/> (all when null), newest first, with their deliveries.</summary>
    public IReadOnlyList<StoredAlert> List(DateTimeOffset? since = null, int max = 1000)
    {
        using var connection = database.Open();
        var alerts = new List<Alert>();
        using (var query = connection.CreateCommand())
        {
            query.CommandText = $"SELECT {AlertColumns} FROM alerts a WHERE a.created_at >= $since ORDER BY a.created_at DESC, a.id LIMIT $max;";
            query.Parameters.AddWithValue("$since", Time(since ?? DateTimeOffset.MinValue));
            query.Parameters.AddWithValue("$max", max);
            using var reader = query.ExecuteReader();
            while (reader.Read()) alerts.Add(ReadAlert(reader));
        }
        var deliveries = new Dictionary<string, List<AlertDelivery>>(StringComparer.Ordinal);
        using (var query = connection.CreateCommand())
        {
            query.CommandText = "SELECT alert_id, webhook, attempts, next_attempt_at, delivered_at, last_error FROM alert_deliveries ORDER BY webhook;";
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

    private void Update(string alertId, string webhook, string sql, params (string Name, object Value)[] values)
    {
        using var connection = database.Open();
        using var update = connection.CreateCommand();
        update.CommandText = sql;
        update.Parameters.AddWithValue("$id", alertId);
        update.Parameters.AddWithValue("$webhook", webhook);
        foreach (var (name, value) in values) update.Parameters.AddWithValue(name, value);
        update.ExecuteNonQuery();
    }

    private static Alert ReadAlert(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), Enum.Parse<AlertKind>(r.GetString(2)), r.GetString(3), Enum.Parse<BudgetLevel>(r.GetString(4)),
        r.GetString(5), r.IsDBNull(6) ? null : r.GetInt32(6), NanoUsd.ToUsd(r.GetInt64(7)), NanoUsd.ToUsd(r.GetInt64(8)),
        r.IsDBNull(9) ? null : Parse(r.GetString(9)), Parse(r.GetString(10)), Parse(r.GetString(11)), r.GetString(12), Parse(r.GetString(13)));

    private static AlertDelivery ReadDelivery(SqliteDataReader r, int o) => new(
        r.GetString(o), r.GetString(o + 1), r.GetInt32(o + 2), Parse(r.GetString(o + 3)),
        r.IsDBNull(o + 4) ? null : Parse(r.GetString(o + 4)), r.IsDBNull(o + 5) ? null : r.GetString(o + 5));

    // Same fixed-width ISO 8601 UTC text as the ledger, so text order is time order.
    internal static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    internal static DateTimeOffset Parse(string s) =>
        DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
