using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Migration;

/// <summary>A table the migration copies: its primary key (the chunk order and the conflict target) and what a
/// conflict does (nothing, except where PostgreSQL's own migrations already wrote a row).</summary>
public sealed record MigrationTable(string Name, string[] Key, string? OnConflict = null)
{
    public string ConflictClause => OnConflict ?? $"ON CONFLICT ({string.Join(", ", Key.Select(Quote))}) DO NOTHING";

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

/// <summary>
/// Every table of the installation, parents before children (foreign keys). A table of the SQLite file missing from
/// this list stops the migration before anything is copied, so a table added later is never silently left behind.
/// </summary>
public static class MigrationTables
{
    public static readonly IReadOnlyList<MigrationTable> All =
    [
        new("teams", ["name"]),
        new("people", ["name"]),
        new("keys", ["id"]),
        new("team_moves", ["person", "effective_from"]),
        new("ledger", ["id"]),
        new("budgets", ["id"]),
        // PostgreSQL's migration step 0100 already wrote (1, 0): the source's version must win, and a rerun changes nothing.
        new("budgets_version", ["id"], "ON CONFLICT (id) DO UPDATE SET version = excluded.version WHERE budgets_version.version < excluded.version"),
        new("alerts", ["id"]),
        new("alert_deliveries", ["alert_id", "webhook"]),
        new("outcomes", ["id"]),
        new("outcome_deliveries", ["id"]),
        new("import_files", ["source", "path"]),
        .. LedgerRollups.Tables.Select(t => new MigrationTable(t.Table, RollupKey(t))),
        new("dashboard_sessions", ["token_hash"]),
        new("rate_limits", ["scope"]),
        // The chain is copied as written (seq, hashes): `tokenops audit --verify` holds on the new backend too.
        new("audit_log", ["seq"]),
        new("admin_credentials", ["id"]),
        new("batch_files", ["id"]),
        new("batches", ["id"]),
        new("response_cache", ["cache_key"]),
        new("semantic_index", ["seq"]),
        new("rate_limits_version", ["id"], "ON CONFLICT (id) DO UPDATE SET version = excluded.version WHERE rate_limits_version.version < excluded.version"),
    ];

    /// <summary>Not copied: each backend records its own schema history (see <see cref="SqliteToPostgresCopier"/>).</summary>
    public const string SchemaMigrations = "schema_migrations";

    public static bool IsRollup(string table) => table.StartsWith("rollup_", StringComparison.Ordinal);

    private static string[] RollupKey(LedgerRollups.Spec spec)
    {
        var dims = spec.Dims.Split(", ");
        return dims.Contains("person") ? ["team", "bucket", .. dims.Where(d => d != "team")] : ["bucket", .. dims];
    }
}
