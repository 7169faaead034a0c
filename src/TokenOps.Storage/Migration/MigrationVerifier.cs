using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace TokenOps.Storage.Migration;

/// <summary>One comparison: what SQLite (or, for a rollup, PostgreSQL's ledger) holds against what PostgreSQL holds.</summary>
public sealed record VerificationCheck(string What, long Expected, long Actual)
{
    public bool Passed => Expected == Actual;
}

/// <summary>
/// What the migration proves at the end: every table holds as many rows in PostgreSQL as in SQLite, the ledger's cost
/// columns (integer nano-USD) sum to the same totals, the budgets version is the same, and in PostgreSQL every rollup
/// table adds up to the ledger it summarises (requests = ledger rows, cost = ledger cost).
/// </summary>
public static class MigrationVerifier
{
    private static readonly string[] LedgerSums =
        ["cost_nanos", "uncached_input_nanos", "cache_read_nanos", "cache_write_5m_nanos", "cache_write_1h_nanos", "output_nanos", "reasoning_nanos", "tool_call_nanos",
         "audio_input_nanos", "audio_output_nanos", "image_input_nanos", "image_output_nanos", "image_nanos", "audio_second_nanos", "character_nanos",
         "saved_routed_nanos", "saved_degraded_nanos", "saved_capped_nanos", "saved_cache_breakpoint_nanos", "saved_cache_hit_nanos", "saved_batch_nanos"];

    public static IReadOnlyList<VerificationCheck> Run(SqliteConnection source, NpgsqlDataSource target)
    {
        var checks = new List<VerificationCheck>();
        foreach (var table in MigrationTables.All)
        {
            var sql = $"SELECT COUNT(*) FROM {MigrationTable.Quote(table.Name)};";
            checks.Add(new($"{table.Name} rows", SqliteLong(source, sql), PostgresLong(target, sql)));
        }
        foreach (var column in LedgerSums)
        {
            var sql = $"SELECT COALESCE(SUM({column}), 0) FROM ledger;";
            checks.Add(new($"ledger SUM({column})", SqliteLong(source, sql), PostgresLong(target, sql)));
        }
        const string version = "SELECT COALESCE(MAX(version), 0) FROM budgets_version;";
        checks.Add(new("budgets_version", SqliteLong(source, version), PostgresLong(target, version)));
        // Rollups against PostgreSQL's own ledger: copied or not, they must describe it exactly.
        var ledgerRows = PostgresLong(target, "SELECT COUNT(*) FROM ledger;");
        var ledgerCost = PostgresLong(target, "SELECT COALESCE(SUM(cost_nanos), 0) FROM ledger;");
        foreach (var rollup in MigrationTables.All.Where(t => MigrationTables.IsRollup(t.Name)))
        {
            checks.Add(new($"{rollup.Name} requests = ledger rows (PostgreSQL)", ledgerRows, PostgresLong(target, $"SELECT COALESCE(SUM(requests), 0) FROM {rollup.Name};")));
            checks.Add(new($"{rollup.Name} cost = ledger cost (PostgreSQL)", ledgerCost, PostgresLong(target, $"SELECT COALESCE(SUM(cost_nanos), 0) FROM {rollup.Name};")));
        }
        return checks;
    }

    private static long SqliteLong(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static long PostgresLong(NpgsqlDataSource dataSource, string sql)
    {
        using var command = dataSource.CreateCommand(sql);
        // SUM(bigint) is numeric in PostgreSQL: exact, converted back to the integer nano-USD it is.
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
