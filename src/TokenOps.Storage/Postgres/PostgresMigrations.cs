using Npgsql;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema history: the same named steps as SQLite's (<c>Sqlite/Migrations.cs</c>), in the same order,
/// with PostgreSQL SQL, recorded in schema_migrations. All missing steps are applied in one transaction that first takes
/// <c>pg_advisory_xact_lock</c> on a fixed key, so replicas starting at once migrate one after the other (the second
/// finds the steps recorded and does nothing); the lock is released at commit or when a crashed migrator's session ends.
/// <para>
/// Column types: text, bigint (every count and every amount of money, integer nano-USD), double precision (latencies),
/// boolean (streamed, estimated). Times stay the fixed-width ISO 8601 UTC text SQLite stores
/// ("yyyy-MM-ddTHH:mm:ss.fffffffZ"), in the "C" collation (byte order = time order, whatever the database's locale):
/// timestamptz keeps microseconds and would drop the last digit of .NET's 100 ns ticks, so a row would not read back
/// as written, and the rollup buckets (text prefixes of that string) and range filters stay identical to SQLite's.
/// </para>
/// <para>
/// No step backfills: today every step is applied together to an empty database (PostgreSQL support is new), so the
/// rollup tables are created before the ledger holds a row. A later step that adds a rollup level to a database with
/// rows must derive it in its own SQL, as SQLite's steps 0600–0630 do.
/// </para>
/// </summary>
internal static class PostgresMigrations
{
    /// <summary>"TokenOps" in ASCII: the advisory lock every migrator of any TokenOps database takes.</summary>
    internal const long LockKey = 0x546F_6B65_6E4F_7073;

    private const string Time = "text COLLATE \"C\"";

    internal static readonly (string Id, string Sql)[] Steps =
    [
        ("0001_core", $"""
        CREATE TABLE IF NOT EXISTS teams (name text PRIMARY KEY, created_at {Time} NOT NULL);
        CREATE TABLE IF NOT EXISTS people (name text PRIMARY KEY, team text NOT NULL REFERENCES teams(name), created_at {Time} NOT NULL);
        CREATE TABLE IF NOT EXISTS keys (
            id text PRIMARY KEY, key_hash text NOT NULL UNIQUE, display_prefix text NOT NULL,
            person text NOT NULL REFERENCES people(name), created_at {Time} NOT NULL, revoked_at {Time});
        CREATE TABLE IF NOT EXISTS ledger (
            id text COLLATE "C" PRIMARY KEY, started_at {Time} NOT NULL, ended_at {Time} NOT NULL, route text NOT NULL,
            key_id text, person text, team text, project text, feature text, ticket text, pull_request text, tags text,
            provider text, requested_model text, served_model text,
            uncached_input_tokens bigint NOT NULL, cache_read_tokens bigint NOT NULL,
            cache_write_5m_tokens bigint NOT NULL, cache_write_1h_tokens bigint NOT NULL,
            output_tokens bigint NOT NULL, reasoning_tokens bigint NOT NULL, service_tier text NOT NULL,
            uncached_input_nanos bigint NOT NULL, cache_read_nanos bigint NOT NULL,
            cache_write_5m_nanos bigint NOT NULL, cache_write_1h_nanos bigint NOT NULL,
            output_nanos bigint NOT NULL, reasoning_nanos bigint NOT NULL, cost_nanos bigint NOT NULL,
            catalog_version text, streamed boolean NOT NULL, estimated boolean NOT NULL, status integer NOT NULL,
            outcome text NOT NULL, error_code text, latency_ms double precision NOT NULL, ttft_ms double precision,
            provider_request_id text);
        CREATE INDEX IF NOT EXISTS ledger_started_at ON ledger(started_at);
        CREATE INDEX IF NOT EXISTS ledger_person ON ledger(person, started_at);
        CREATE INDEX IF NOT EXISTS ledger_team ON ledger(team, started_at);
        """),
        ("0002_ledger_source_session_budget", """
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS source text NOT NULL DEFAULT 'gateway';
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS session_id text;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS budget_action text;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS justification text;
        CREATE INDEX IF NOT EXISTS ledger_project ON ledger(project, started_at);
        """),
        ("0100_budgets", $"""
        CREATE TABLE IF NOT EXISTS budgets (
            id text PRIMARY KEY, level text NOT NULL, name text NOT NULL, limit_nanos bigint NOT NULL,
            period text NOT NULL, time_zone text NOT NULL, mode text NOT NULL, soft_action text NOT NULL,
            rollover bigint NOT NULL, rollover_ceiling_nanos bigint NOT NULL, updated_at {Time} NOT NULL);
        CREATE TABLE IF NOT EXISTS budgets_version (id integer PRIMARY KEY CHECK (id = 1), version bigint NOT NULL);
        INSERT INTO budgets_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
        """),
        ("0200_alerts_outbox", $"""
        CREATE TABLE IF NOT EXISTS alerts (
            id text PRIMARY KEY, dedupe_key text NOT NULL UNIQUE, kind text NOT NULL, budget_id text NOT NULL, level text NOT NULL,
            name text NOT NULL, threshold bigint, spent_nanos bigint NOT NULL, limit_nanos bigint NOT NULL,
            projected_exhaustion {Time}, period_start {Time} NOT NULL, period_end {Time} NOT NULL, message text NOT NULL,
            created_at {Time} NOT NULL);
        CREATE INDEX IF NOT EXISTS alerts_created_at ON alerts(created_at);
        CREATE TABLE IF NOT EXISTS alert_deliveries (
            alert_id text NOT NULL REFERENCES alerts(id), webhook text NOT NULL, attempts bigint NOT NULL DEFAULT 0,
            next_attempt_at {Time} NOT NULL, delivered_at {Time}, last_error text, PRIMARY KEY (alert_id, webhook));
        CREATE INDEX IF NOT EXISTS alert_deliveries_due ON alert_deliveries(delivered_at, next_attempt_at);
        """),
        ("0400_outcomes", $"""
        CREATE TABLE IF NOT EXISTS outcomes (
            id text PRIMARY KEY, source text NOT NULL, source_id text NOT NULL, type text NOT NULL, title text,
            person text, team text, project text, repository text, branch text, key text,
            started_at {Time}, completed_at {Time} NOT NULL, value_nanos bigint, recorded_at {Time} NOT NULL);
        CREATE INDEX IF NOT EXISTS outcomes_completed_at ON outcomes(completed_at);
        CREATE INDEX IF NOT EXISTS outcomes_person ON outcomes(person, completed_at);
        CREATE TABLE IF NOT EXISTS outcome_deliveries (id text PRIMARY KEY, outcome_id text, received_at {Time} NOT NULL);
        """),
        ("0300_import_files", $"""
        CREATE TABLE IF NOT EXISTS import_files (
            source text NOT NULL, path text NOT NULL, size bigint NOT NULL, mtime {Time} NOT NULL,
            "offset" bigint NOT NULL, line bigint NOT NULL, state text, imported_at {Time} NOT NULL,
            PRIMARY KEY (source, path));
        CREATE INDEX IF NOT EXISTS ledger_source ON ledger(source, started_at);
        """),
        ("0500_rollups_hourly_daily",
            CreateRollup(LedgerRollups.Hourly, LedgerRollups.Dimensions) + CreateRollup(LedgerRollups.Daily, LedgerRollups.Dimensions) +
            CreateRollup(LedgerRollups.HourlyOrg, LedgerRollups.OrgDimensions) + CreateRollup(LedgerRollups.DailyOrg, LedgerRollups.OrgDimensions) +
            """
            CREATE INDEX IF NOT EXISTS ledger_degraded ON ledger(started_at) WHERE budget_action LIKE 'degraded%';
            CREATE INDEX IF NOT EXISTS ledger_model ON ledger(served_model, started_at);
            CREATE INDEX IF NOT EXISTS ledger_errors ON ledger(started_at) WHERE outcome <> 'Ok';
            CREATE INDEX IF NOT EXISTS ledger_team_errors ON ledger(team, started_at) WHERE outcome <> 'Ok';
            """),
        ("0600_rollups_monthly",
            CreateRollup(LedgerRollups.Monthly, LedgerRollups.Dimensions) + CreateRollup(LedgerRollups.MonthlyOrg, LedgerRollups.OrgDimensions)),
        ("0610_rollups_weekly",
            CreateRollup(LedgerRollups.Weekly, LedgerRollups.Dimensions) + CreateRollup(LedgerRollups.WeeklyOrg, LedgerRollups.OrgDimensions)),
        // PostgreSQL's B-tree covers with INCLUDE: the key stays (started_at), the other columns ride along for index-only scans.
        ("0620_ledger_degraded_covering", """
        CREATE INDEX IF NOT EXISTS ledger_degraded_cover ON ledger(started_at) INCLUDE (team, person, requested_model, served_model,
            uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens,
            cost_nanos, budget_action) WHERE budget_action LIKE 'degraded%';
        """),
        ("0630_rollups_daily_model", CreateRollup(LedgerRollups.DailyModel, LedgerRollups.ModelDimensions)),
        ("0700_ledger_tool_calls", """
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS web_search_calls bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS web_fetch_calls bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS file_search_calls bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS tool_call_nanos bigint NOT NULL DEFAULT 0;
        """),
        ("0800_rate_limits", $"""
        CREATE TABLE IF NOT EXISTS rate_limits (
            scope text COLLATE "C" PRIMARY KEY, requests_per_minute bigint, tokens_per_minute bigint, concurrent bigint, updated_at {Time} NOT NULL);
        CREATE TABLE IF NOT EXISTS rate_limits_version (id integer PRIMARY KEY CHECK (id = 1), version bigint NOT NULL);
        INSERT INTO rate_limits_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
        """),
        ("0900_dashboard_sessions", """
        CREATE TABLE IF NOT EXISTS dashboard_sessions (
            token_hash text COLLATE "C" PRIMARY KEY, principal text COLLATE "C" NOT NULL, role text NOT NULL, person text, team text,
            transparency boolean NOT NULL, key_id text, created_at text COLLATE "C" NOT NULL, expires_at text COLLATE "C" NOT NULL);
        CREATE INDEX IF NOT EXISTS dashboard_sessions_principal ON dashboard_sessions(principal, created_at);
        CREATE INDEX IF NOT EXISTS dashboard_sessions_expiry ON dashboard_sessions(expires_at);
        """),
        ("1000_ledger_savings", """
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS saved_routed_nanos bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS saved_degraded_nanos bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS saved_capped_nanos bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS saved_cache_breakpoint_nanos bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS saved_cache_hit_nanos bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS saved_batch_nanos bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS savings_levers text;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS route_score double precision;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS parent_id text COLLATE "C";
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS output_control text;
        CREATE INDEX IF NOT EXISTS ledger_savings ON ledger(started_at) WHERE savings_levers IS NOT NULL;
        """),
        ("1010_rollup_savings", LedgerRollups.SavingsMigrationSql(postgres: true)),
        ("1100_ledger_price_estimated", """
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS price_estimated boolean NOT NULL DEFAULT false;
        CREATE INDEX IF NOT EXISTS ledger_price_estimated ON ledger(started_at) WHERE price_estimated;
        """),
        // Waste fingerprints (never text) and key kinds, as SQLite's 1400 and 1410.
        ("1400_ledger_fingerprints", """
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS prefix_hash bigint;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS prefix_tokens bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS prompt_hash bigint;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS turn_simhash bigint;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS message_count integer NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS finish_reason text;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS tool_call_count integer NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS client_family text;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS key_kind text;
        """),
        ("1410_key_kind", """
        ALTER TABLE keys ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'person';
        ALTER TABLE keys ADD COLUMN IF NOT EXISTS owner text;
        """),
        ("1600_ledger_priced_units", """
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS audio_input_tokens bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS audio_output_tokens bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS image_input_tokens bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS image_output_tokens bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS images bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS audio_ms bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS characters bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS audio_input_nanos bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS audio_output_nanos bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS image_input_nanos bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS image_output_nanos bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS image_nanos bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS audio_second_nanos bigint NOT NULL DEFAULT 0;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS character_nanos bigint NOT NULL DEFAULT 0;
        """),
        ("1200_ledger_cache_hit", """
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS cache_hit text;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS cache_source_id text COLLATE "C";
        """),
        ("1210_response_cache", """
        CREATE TABLE IF NOT EXISTS response_cache (
            cache_key text COLLATE "C" PRIMARY KEY, answer text NOT NULL, bytes bigint NOT NULL, source_id text NOT NULL,
            source_cost_nanos bigint NOT NULL, created_at bigint NOT NULL, expires_at bigint NOT NULL, last_used bigint NOT NULL);
        CREATE INDEX IF NOT EXISTS response_cache_lru ON response_cache(last_used);
        CREATE INDEX IF NOT EXISTS response_cache_expiry ON response_cache(expires_at);
        """),
        // The audit trail: append-only (a trigger refuses UPDATE and DELETE), each entry holding its predecessor's hash.
        ("1700_audit_log", """
        CREATE TABLE IF NOT EXISTS audit_log (
            seq bigint PRIMARY KEY, at text COLLATE "C" NOT NULL, actor text NOT NULL, origin text NOT NULL, action text NOT NULL,
            subject text NOT NULL, before_value text, after_value text, prev_hash text NOT NULL, hash text NOT NULL);
        CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at);
        CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
        DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log;
        CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
        """),
        // Named admin credentials with scopes; only hashes (unique) are stored.
        ("1710_admin_credentials", """
        CREATE TABLE IF NOT EXISTS admin_credentials (
            id text COLLATE "C" PRIMARY KEY, name text COLLATE "C" NOT NULL UNIQUE, scopes text NOT NULL, display_prefix text NOT NULL,
            created_at text COLLATE "C" NOT NULL, revoked_at text COLLATE "C", hash text COLLATE "C" NOT NULL UNIQUE);
        """),
        ("1300_batches", """
        CREATE TABLE IF NOT EXISTS batch_files (
            id text COLLATE "C" PRIMARY KEY, provider text NOT NULL, owner text COLLATE "C" NOT NULL, key_id text, purpose text NOT NULL, filename text,
            bytes bigint NOT NULL, endpoint text, line_count bigint NOT NULL, worst_nanos bigint NOT NULL, batch_id text, created_at text COLLATE "C" NOT NULL);
        CREATE TABLE IF NOT EXISTS batches (
            id text COLLATE "C" PRIMARY KEY, provider_batch_id text NOT NULL, protocol text NOT NULL, provider text NOT NULL, owner text COLLATE "C" NOT NULL,
            key_id text, person text, team text, project text, feature text, tags text, endpoint text, input_file_id text, status text NOT NULL,
            reserved_nanos bigint NOT NULL, line_count bigint NOT NULL, created_at text COLLATE "C" NOT NULL, ended_at text, output_file_id text,
            error_file_id text, claimed_by text, claimed_until text COLLATE "C", settled_at text, settled_nanos bigint, settled_rows bigint);
        CREATE INDEX IF NOT EXISTS batches_owner ON batches(owner, protocol, created_at);
        CREATE INDEX IF NOT EXISTS batches_unsettled ON batches(created_at) WHERE settled_at IS NULL;
        ALTER TABLE ledger ADD COLUMN IF NOT EXISTS batch_id text;
        CREATE INDEX IF NOT EXISTS ledger_batch ON ledger(batch_id) WHERE batch_id IS NOT NULL;
        """),
        // Priced units beyond tokens as cost buckets in every rollup table (tool calls, audio, images), so reports show them.
        ("1620_rollup_priced_units", LedgerRollups.UnitsMigrationSql(postgres: true)),
        // The semantic cache's index (vectors and hashes, never text), shared by the replicas and read back on restart.
        ("1630_semantic_index", """
        CREATE TABLE IF NOT EXISTS semantic_index (
            seq bigserial PRIMARY KEY,
            tenant text NOT NULL,
            entry_key text NOT NULL,
            context_hash bigint NOT NULL,
            guard_hash bigint NOT NULL,
            vector bytea NOT NULL,
            expires_at bigint NOT NULL,
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
        ALTER TABLE keys ADD COLUMN IF NOT EXISTS expires_at text COLLATE "C";
        ALTER TABLE keys ADD COLUMN IF NOT EXISTS models text;
        ALTER TABLE keys ADD COLUMN IF NOT EXISTS last_used_at text COLLATE "C";
        ALTER TABLE keys ADD COLUMN IF NOT EXISTS rotated_to text;
        CREATE TABLE IF NOT EXISTS team_moves (
            person text NOT NULL REFERENCES people(name), team text NOT NULL REFERENCES teams(name),
            effective_from text COLLATE "C" NOT NULL, created_at text NOT NULL, PRIMARY KEY (person, effective_from));
        """),
        // A background response's request-time row (attribution, fingerprints, savings inputs), kept until it ends.
        ("1820_batch_row_facts", """
        ALTER TABLE batches ADD COLUMN IF NOT EXISTS row_facts text;
        """),
        // The shared (Redis) hold a batch or background response took at submit, for whichever replica settles it.
        ("1830_batch_hold_id", """
        ALTER TABLE batches ADD COLUMN IF NOT EXISTS hold_id text;
        """),
    ];

    /// <summary>A rollup table with SQLite's columns and primary key (person-level tables lead with team, the others with the bucket).</summary>
    private static string CreateRollup(string table, string dimensions)
    {
        var dims = dimensions.Split(", ");
        var person = dims.Contains("person");
        var key = person ? "team, bucket, " + dimensions.Replace("team, ", "", StringComparison.Ordinal) : "bucket, " + dimensions;
        var sql = $"""
        CREATE TABLE IF NOT EXISTS {table} (
            bucket text COLLATE "C" NOT NULL, {string.Join(", ", dims.Select(d => d + " text NOT NULL"))},
            {string.Join(", ", LedgerRollups.BaseMeasures.Split(", ").Select(m => m + " bigint NOT NULL"))},
            PRIMARY KEY ({key}));

        """;
        if (person) sql += $"CREATE INDEX IF NOT EXISTS {table}_person ON {table}(person, bucket);\n";
        else if (dims.Contains("team")) sql += $"CREATE INDEX IF NOT EXISTS {table}_team ON {table}(team, bucket);\n";
        return sql;
    }

    /// <summary>Applies every missing step, one migrator at a time across all replicas; returns the ids it applied.</summary>
    public static IReadOnlyList<string> Apply(NpgsqlDataSource dataSource)
    {
        using var connection = dataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        Execute(connection, tx, $"SELECT pg_advisory_xact_lock({LockKey});");
        // Created under the lock: two sessions racing on CREATE TABLE IF NOT EXISTS can still collide in the catalog.
        Execute(connection, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at text NOT NULL);");
        var applied = new HashSet<string>(StringComparer.Ordinal);
        using (var read = new NpgsqlCommand("SELECT id FROM schema_migrations;", connection, tx))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read()) applied.Add(reader.GetString(0));
        }
        var done = new List<string>();
        foreach (var (id, sql) in Steps)
        {
            if (applied.Contains(id)) continue;
            Execute(connection, tx, sql);
            using var record = new NpgsqlCommand("INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2);", connection, tx);
            record.Parameters.Add(new NpgsqlParameter { Value = id });
            record.Parameters.Add(new NpgsqlParameter { Value = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture) });
            record.ExecuteNonQuery();
            done.Add(id);
        }
        tx.Commit();
        return done;
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction tx, string sql)
    {
        // No timeout: waiting for another replica's migration (the lock) is expected at start.
        using var command = new NpgsqlCommand(sql, connection, tx) { CommandTimeout = 0 };
        command.ExecuteNonQuery();
    }
}
