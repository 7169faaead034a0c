using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>The request explorer (<see cref="SqlLedgerExplorer"/>) on the SQLite file.</summary>
public sealed class LedgerExplorer(SqliteDatabase database) : SqlLedgerExplorer(SqlDialect.Sqlite)
{
    /// <summary>A partial index of degraded rows holding every column <see cref="SqlLedgerExplorer.Degraded"/> reads (migration step 0620).</summary>
    internal const string DegradedCoveringIndexSql =
        "CREATE INDEX IF NOT EXISTS ledger_degraded_cover ON ledger(started_at, team, person, requested_model, served_model, " +
        "uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, " +
        "cost_nanos, budget_action) WHERE budget_action LIKE 'degraded%';\n";

    protected override DbConnection Open() => database.Open();
}
