using Microsoft.Data.Sqlite;

namespace TokenOps.Storage.Sqlite;

/// <summary>
/// Named schema steps, applied once each, in array order, and recorded in schema_migrations.
/// Named (not numbered) so that features developed side by side each add their own step without renumbering:
/// a step must only depend on steps listed before it.
/// </summary>
internal static class Migrations
{
    private static readonly (string Id, string Sql)[] Steps =
    [
        ("0001_core", """
        CREATE TABLE IF NOT EXISTS teams (name TEXT PRIMARY KEY, created_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS people (name TEXT PRIMARY KEY, team TEXT NOT NULL REFERENCES teams(name), created_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS keys (
            id TEXT PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE, display_prefix TEXT NOT NULL,
            person TEXT NOT NULL REFERENCES people(name), created_at TEXT NOT NULL, revoked_at TEXT);
        CREATE TABLE IF NOT EXISTS ledger (
            id TEXT PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT NOT NULL, route TEXT NOT NULL,
            key_id TEXT, person TEXT, team TEXT, project TEXT, feature TEXT, ticket TEXT, pull_request TEXT, tags TEXT,
            provider TEXT, requested_model TEXT, served_model TEXT,
            uncached_input_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
            cache_write_5m_tokens INTEGER NOT NULL, cache_write_1h_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL, service_tier TEXT NOT NULL,
            uncached_input_nanos INTEGER NOT NULL, cache_read_nanos INTEGER NOT NULL,
            cache_write_5m_nanos INTEGER NOT NULL, cache_write_1h_nanos INTEGER NOT NULL,
            output_nanos INTEGER NOT NULL, reasoning_nanos INTEGER NOT NULL, cost_nanos INTEGER NOT NULL,
            catalog_version TEXT, streamed INTEGER NOT NULL, estimated INTEGER NOT NULL, status INTEGER NOT NULL,
            outcome TEXT NOT NULL, error_code TEXT, latency_ms REAL NOT NULL, ttft_ms REAL, provider_request_id TEXT);
        CREATE INDEX IF NOT EXISTS ledger_started_at ON ledger(started_at);
        CREATE INDEX IF NOT EXISTS ledger_person ON ledger(person, started_at);
        CREATE INDEX IF NOT EXISTS ledger_team ON ledger(team, started_at);
        """),
        // Where a row came from (gateway, or an offline import), the agent session it belongs to,
        // and what budget enforcement did to it (degraded, clamped, warned) with the person's justification.
        ("0002_ledger_source_session_budget", """
        ALTER TABLE ledger ADD COLUMN source TEXT NOT NULL DEFAULT 'gateway';
        ALTER TABLE ledger ADD COLUMN session_id TEXT;
        ALTER TABLE ledger ADD COLUMN budget_action TEXT;
        ALTER TABLE ledger ADD COLUMN justification TEXT;
        CREATE INDEX IF NOT EXISTS ledger_project ON ledger(project, started_at);
        """),
        // Hourly and daily rollups for the dashboard and reports (kept by LedgerRollups.Apply), backfilled from the ledger.
        ("0500_rollups_hourly_daily", LedgerRollups.MigrationSql),
    ];

    public static void Apply(SqliteConnection connection)
    {
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL);";
            create.ExecuteNonQuery();
        }
        foreach (var (id, sql) in Steps)
        {
            // BEGIN IMMEDIATE (the default here) takes the write lock first, so two processes opening the same
            // data directory at once (the CLI beside a running gateway) cannot both apply a step.
            using var tx = connection.BeginTransaction();
            using (var check = connection.CreateCommand())
            {
                check.Transaction = tx;
                check.CommandText = "SELECT COUNT(*) FROM schema_migrations WHERE id = $id;";
                check.Parameters.AddWithValue("$id", id);
                if ((long)check.ExecuteScalar()! > 0) continue;
            }
            using var step = connection.CreateCommand();
            step.Transaction = tx;
            step.CommandText = sql;
            step.ExecuteNonQuery();
            using var record = connection.CreateCommand();
            record.Transaction = tx;
            record.CommandText = "INSERT INTO schema_migrations (id, applied_at) VALUES ($id, $at);";
            record.Parameters.AddWithValue("$id", id);
            record.Parameters.AddWithValue("$at", DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            record.ExecuteNonQuery();
            tx.Commit();
        }
    }
}
