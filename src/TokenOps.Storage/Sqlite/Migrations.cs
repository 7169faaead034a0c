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
        // Budgets set from the CLI or the admin API (tokenops.json holds the rest). budgets_version moves on every
        // change, so a running gateway notices with one cheap read per second and swaps its policy snapshot.
        ("0100_budgets", """
        CREATE TABLE IF NOT EXISTS budgets (
            id TEXT PRIMARY KEY, level TEXT NOT NULL, name TEXT NOT NULL, limit_nanos INTEGER NOT NULL,
            period TEXT NOT NULL, time_zone TEXT NOT NULL, mode TEXT NOT NULL, soft_action TEXT NOT NULL,
            rollover INTEGER NOT NULL, rollover_ceiling_nanos INTEGER NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS budgets_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
        INSERT OR IGNORE INTO budgets_version (id, version) VALUES (1, 0);
        """),
        // Alerts (once per budget, period, kind and threshold: dedupe_key is unique) and their webhook outbox: one row per
        // alert and webhook, retried with backoff until delivered, so a webhook that is down loses nothing.
        ("0200_alerts_outbox", """
        CREATE TABLE IF NOT EXISTS alerts (
            id TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, budget_id TEXT NOT NULL, level TEXT NOT NULL,
            name TEXT NOT NULL, threshold INTEGER, spent_nanos INTEGER NOT NULL, limit_nanos INTEGER NOT NULL,
            projected_exhaustion TEXT, period_start TEXT NOT NULL, period_end TEXT NOT NULL, message TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS alerts_created_at ON alerts(created_at);
        CREATE TABLE IF NOT EXISTS alert_deliveries (
            alert_id TEXT NOT NULL REFERENCES alerts(id), webhook TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL, delivered_at TEXT, last_error TEXT, PRIMARY KEY (alert_id, webhook));
        CREATE INDEX IF NOT EXISTS alert_deliveries_due ON alert_deliveries(delivered_at, next_attempt_at);
        """),
        // Outcomes (merged PRs, resolved tickets, features, incidents, custom) that spend is linked to at report time,
        // unique on "source:sourceId" so a redelivered webhook changes nothing; and webhook delivery ids seen (replays).
        // No raw payloads: only the fields below.
        ("0400_outcomes", """
        CREATE TABLE IF NOT EXISTS outcomes (
            id TEXT PRIMARY KEY, source TEXT NOT NULL, source_id TEXT NOT NULL, type TEXT NOT NULL, title TEXT,
            person TEXT, team TEXT, project TEXT, repository TEXT, branch TEXT, key TEXT,
            started_at TEXT, completed_at TEXT NOT NULL, value_nanos INTEGER, recorded_at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS outcomes_completed_at ON outcomes(completed_at);
        CREATE INDEX IF NOT EXISTS outcomes_person ON outcomes(person, completed_at);
        CREATE TABLE IF NOT EXISTS outcome_deliveries (
            id TEXT PRIMARY KEY, outcome_id TEXT, received_at TEXT NOT NULL);
        """),
        // Offline imports (Claude Code / Codex logs): how far each file has been read, so a grown file is read
        // from where the last import stopped; state holds a parser's carry-over (Codex: current model, totals).
        ("0300_import_files", """
        CREATE TABLE IF NOT EXISTS import_files (
            source TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, mtime TEXT NOT NULL,
            offset INTEGER NOT NULL, line INTEGER NOT NULL, state TEXT, imported_at TEXT NOT NULL,
            PRIMARY KEY (source, path));
        CREATE INDEX IF NOT EXISTS ledger_source ON ledger(source, started_at);
        """),
        // Hourly and daily rollups for the dashboard and reports (kept by LedgerRollups.Apply), backfilled from the ledger.
        ("0500_rollups_hourly_daily", LedgerRollups.MigrationSql),
        // Monthly rollups (person-level and organisation-level) so long ranges read whole months, backfilled from the daily rollups.
        ("0600_rollups_monthly", LedgerRollups.MonthlyMigrationSql),
        // Weekly rollups (week = Monday 00:00 UTC onwards) for the whole weeks of ranges that are not whole months, backfilled from the daily rollups.
        ("0610_rollups_weekly", LedgerRollups.WeeklyMigrationSql),
        // The savings page reads degraded requests (a fraction of a percent of rows) from this partial index alone, without a
        // lookup of each row in the ledger table (which under I/O contention made its p95 swing). Same rows as ledger_degraded.
        ("0620_ledger_degraded_covering", LedgerExplorer.DegradedCoveringIndexSql),
        // Days by model and provider: the organisation's daily chart and month-to-date total read ~10 rows a day, not ~250.
        ("0630_rollups_daily_model", LedgerRollups.DailyModelMigrationSql),
        // Provider-side tool calls billed per call (web search, web fetch, file search) and what they cost, apart from tokens.
        ("0700_ledger_tool_calls", """
        ALTER TABLE ledger ADD COLUMN web_search_calls INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN web_fetch_calls INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN file_search_calls INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN tool_call_nanos INTEGER NOT NULL DEFAULT 0;
        """),
        // Rate limits set from the CLI (tokenops.json holds the rest), one row per scope; a null bound is no limit.
        // rate_limits_version moves on every change, so running gateways reload within a second.
        ("0800_rate_limits", """
        CREATE TABLE IF NOT EXISTS rate_limits (
            scope TEXT PRIMARY KEY, requests_per_minute INTEGER, tokens_per_minute INTEGER, concurrent INTEGER, updated_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS rate_limits_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
        INSERT OR IGNORE INTO rate_limits_version (id, version) VALUES (1, 0);
        """),
        // Dashboard sessions, shared by every replica (a sign-in on one is valid on all; a sign-out or revocation ends it on all).
        ("0900_dashboard_sessions", """
        CREATE TABLE IF NOT EXISTS dashboard_sessions (
            token_hash TEXT PRIMARY KEY, principal TEXT NOT NULL, role TEXT NOT NULL, person TEXT, team TEXT,
            transparency INTEGER NOT NULL, key_id TEXT, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS dashboard_sessions_principal ON dashboard_sessions(principal, created_at);
        CREATE INDEX IF NOT EXISTS dashboard_sessions_expiry ON dashboard_sessions(expires_at);
        """),
        // Savings: what each lever saved against the request as the client asked (nano-USD, one column per lever so reports by
        // lever are plain sums), the levers applied, the router's score, the row a cascade attempt belongs to, output control.
        ("1000_ledger_savings", """
        ALTER TABLE ledger ADD COLUMN saved_routed_nanos INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN saved_degraded_nanos INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN saved_capped_nanos INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN saved_cache_breakpoint_nanos INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN saved_cache_hit_nanos INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN saved_batch_nanos INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN savings_levers TEXT;
        ALTER TABLE ledger ADD COLUMN route_score REAL;
        ALTER TABLE ledger ADD COLUMN parent_id TEXT;
        ALTER TABLE ledger ADD COLUMN output_control TEXT;
        CREATE INDEX IF NOT EXISTS ledger_savings ON ledger(started_at) WHERE savings_levers IS NOT NULL;
        """),
        // Savings in every rollup table (requests with a lever, moved to a cheaper model, saved and applied per lever), so
        // savings reports and the dashboard page read rollups, never the ledger; filled from the rows that have a lever.
        ("1010_rollup_savings", LedgerRollups.SavingsMigrationSql(postgres: false)),
        // Rows priced by the family fallback (a model newer than the catalog, priced at its newest known sibling); the
        // partial index serves `tokenops status`, which lists them, without a ledger scan.
        ("1100_ledger_price_estimated", """
        ALTER TABLE ledger ADD COLUMN price_estimated INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX IF NOT EXISTS ledger_price_estimated ON ledger(started_at) WHERE price_estimated;
        """),
        // Waste fingerprints (never text): prefix and prompt hashes, the last user turn's SimHash, message and tool-call counts,
        // why the answer stopped, the client family and the key's kind. The index serves the waste scan's repeat lookups.
        ("1400_ledger_fingerprints", """
        ALTER TABLE ledger ADD COLUMN prefix_hash INTEGER;
        ALTER TABLE ledger ADD COLUMN prefix_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN prompt_hash INTEGER;
        ALTER TABLE ledger ADD COLUMN turn_simhash INTEGER;
        ALTER TABLE ledger ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN finish_reason TEXT;
        ALTER TABLE ledger ADD COLUMN tool_call_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN client_family TEXT;
        ALTER TABLE ledger ADD COLUMN key_kind TEXT;
        """),
        // Keys gain a kind (person or automation) and, for automation keys, the person who answers for them.
        ("1410_key_kind", """
        ALTER TABLE keys ADD COLUMN kind TEXT NOT NULL DEFAULT 'person';
        ALTER TABLE keys ADD COLUMN owner TEXT;
        """),
        // Every priced unit apart from text tokens: audio and image tokens (each a part of the input or output tokens,
        // priced at its own rate), images, audio milliseconds and characters, and their costs in nano-USD.
        ("1600_ledger_priced_units", """
        ALTER TABLE ledger ADD COLUMN audio_input_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN audio_output_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN image_input_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN image_output_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN images INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN audio_ms INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN characters INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN audio_input_nanos INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN audio_output_nanos INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN image_input_nanos INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN image_output_nanos INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN image_nanos INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN audio_second_nanos INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN character_nanos INTEGER NOT NULL DEFAULT 0;
        """),
        // Response cache hits: which cache answered (exact or semantic) and the row whose answer was reused.
        ("1200_ledger_cache_hit", """
        ALTER TABLE ledger ADD COLUMN cache_hit TEXT;
        ALTER TABLE ledger ADD COLUMN cache_source_id TEXT;
        """),
        // The response cache: answers (never prompts) by the hash of the canonical request; times in Unix milliseconds.
        ("1210_response_cache", """
        CREATE TABLE IF NOT EXISTS response_cache (
            cache_key TEXT PRIMARY KEY, answer TEXT NOT NULL, bytes INTEGER NOT NULL, source_id TEXT NOT NULL,
            source_cost_nanos INTEGER NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, last_used INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS response_cache_lru ON response_cache(last_used);
        CREATE INDEX IF NOT EXISTS response_cache_expiry ON response_cache(expires_at);
        """),
        // The audit trail: append-only (triggers refuse UPDATE and DELETE), each entry holding its predecessor's hash.
        ("1700_audit_log", """
        CREATE TABLE IF NOT EXISTS audit_log (
            seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, origin TEXT NOT NULL, action TEXT NOT NULL,
            subject TEXT NOT NULL, before_value TEXT, after_value TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at);
        CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        """),
        // Named admin credentials with scopes; only hashes (unique) are stored.
        ("1710_admin_credentials", """
        CREATE TABLE IF NOT EXISTS admin_credentials (
            id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL, display_prefix TEXT NOT NULL,
            created_at TEXT NOT NULL, revoked_at TEXT, hash TEXT NOT NULL UNIQUE);
        """),
        // The batch lane: files (uploaded inputs with their checked worst case, batches' outputs) and batches (owner,
        // attribution, the budget hold, the settlement claim); each settled line's ledger row names its batch.
        ("1300_batches", """
        CREATE TABLE IF NOT EXISTS batch_files (
            id TEXT PRIMARY KEY, provider TEXT NOT NULL, owner TEXT NOT NULL, key_id TEXT, purpose TEXT NOT NULL, filename TEXT,
            bytes INTEGER NOT NULL, endpoint TEXT, line_count INTEGER NOT NULL, worst_nanos INTEGER NOT NULL, batch_id TEXT, created_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS batches (
            id TEXT PRIMARY KEY, provider_batch_id TEXT NOT NULL, protocol TEXT NOT NULL, provider TEXT NOT NULL, owner TEXT NOT NULL,
            key_id TEXT, person TEXT, team TEXT, project TEXT, feature TEXT, tags TEXT, endpoint TEXT, input_file_id TEXT, status TEXT NOT NULL,
            reserved_nanos INTEGER NOT NULL, line_count INTEGER NOT NULL, created_at TEXT NOT NULL, ended_at TEXT, output_file_id TEXT,
            error_file_id TEXT, claimed_by TEXT, claimed_until TEXT, settled_at TEXT, settled_nanos INTEGER, settled_rows INTEGER);
        CREATE INDEX IF NOT EXISTS batches_owner ON batches(owner, protocol, created_at);
        CREATE INDEX IF NOT EXISTS batches_unsettled ON batches(created_at) WHERE settled_at IS NULL;
        ALTER TABLE ledger ADD COLUMN batch_id TEXT;
        CREATE INDEX IF NOT EXISTS ledger_batch ON ledger(batch_id) WHERE batch_id IS NOT NULL;
        """),
        // Priced units beyond tokens as cost buckets in every rollup table (tool calls, audio, images), so reports show them.
        ("1620_rollup_priced_units", LedgerRollups.UnitsMigrationSql(postgres: false)),
        // The semantic cache's index (vectors and hashes, never text), shared by the replicas and read back on restart.
        ("1630_semantic_index", """
        CREATE TABLE IF NOT EXISTS semantic_index (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            tenant TEXT NOT NULL,
            entry_key TEXT NOT NULL,
            context_hash INTEGER NOT NULL,
            guard_hash INTEGER NOT NULL,
            vector BLOB NOT NULL,
            expires_at INTEGER NOT NULL,
            UNIQUE (tenant, entry_key)
        );
        CREATE INDEX IF NOT EXISTS semantic_index_expiry ON semantic_index(expires_at);
        """),
        // Who owns a Responses API response (GET, DELETE and cancel are owner-only): its row, found by the provider's id.
        ("1800_ledger_response_id", """
        CREATE INDEX IF NOT EXISTS ledger_response_id ON ledger(provider_request_id) WHERE route = 'openai.responses';
        """),
        // Key lifecycle: expiry, a model allow-list, last use, the key a rotation replaced it with; team moves from a date.
        ("1810_key_lifecycle", """
        ALTER TABLE keys ADD COLUMN expires_at TEXT;
        ALTER TABLE keys ADD COLUMN models TEXT;
        ALTER TABLE keys ADD COLUMN last_used_at TEXT;
        ALTER TABLE keys ADD COLUMN rotated_to TEXT;
        CREATE TABLE IF NOT EXISTS team_moves (
            person TEXT NOT NULL REFERENCES people(name), team TEXT NOT NULL REFERENCES teams(name),
            effective_from TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (person, effective_from));
        """),
        // A background response's request-time row (attribution, fingerprints, savings inputs), kept until it ends.
        ("1820_batch_row_facts", """
        ALTER TABLE batches ADD COLUMN row_facts TEXT;
        """),
        // The shared (Redis) hold a batch or background response took at submit, for whichever replica settles it.
        ("1830_batch_hold_id", """
        ALTER TABLE batches ADD COLUMN hold_id TEXT;
        """),
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
