using Microsoft.Data.Sqlite;

namespace TokenOps.Storage.Sqlite;

/// <summary>Schema versions, applied in order; user_version records the last one applied.</summary>
internal static class Migrations
{
    private static readonly string[] Steps =
    [
        """
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
        """,
    ];

    public static void Apply(SqliteConnection connection)
    {
        using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version;";
        var version = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        for (var i = version; i < Steps.Length; i++)
        {
            using var tx = connection.BeginTransaction();
            using var step = connection.CreateCommand();
            step.Transaction = tx;
            step.CommandText = Steps[i] + $"\nPRAGMA user_version = {i + 1};";
            step.ExecuteNonQuery();
            tx.Commit();
        }
    }
}
