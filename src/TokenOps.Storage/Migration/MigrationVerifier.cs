using Microsoft.Data.Sqlite;
using Npgsql;

namespace TokenOps.Storage.Migration;

/// <summary>
/// After a copy: every table holds as many rows in PostgreSQL as in SQLite, the ledger's cost sum (integer nano-USD)
/// is the same to the nano-dollar, and PostgreSQL's daily rollups add up to its ledger.
/// </summary>
public static class MigrationVerifier
{
    internal static Verification Verify(SqliteConnection source, NpgsqlConnection pg, IReadOnlyList<TableResult> tables)
    {
        var problems = tables.Where(t => t.SqliteRows != t.PostgresRows)
            .Select(t => $"{t.Table}: {t.SqliteRows} rows in SQLite, {t.PostgresRows} in PostgreSQL").ToList();
        var sqliteCost = Scalar(source, "SELECT COALESCE(SUM(cost_nanos), 0) FROM ledger;");
        var pgCost = Scalar(pg, "SELECT COALESCE(SUM(cost_nanos), 0)::bigint FROM ledger;");
        if (sqliteCost != pgCost) problems.Add($"ledger cost: {sqliteCost} nano-USD in SQLite, {pgCost} in PostgreSQL");
        var pgRollupCost = Scalar(pg, "SELECT COALESCE(SUM(cost_nanos), 0)::bigint FROM rollup_daily;");
        if (pgRollupCost != pgCost) problems.Add($"rollups: daily rollups in PostgreSQL add up to {pgRollupCost} nano-USD, its ledger to {pgCost}");
        return new Verification(problems.Count == 0, sqliteCost, pgCost, problems);
    }

    private static long Scalar(SqliteConnection c, string sql)
    {
        using var q = c.CreateCommand();
        q.CommandText = sql;
        return Convert.ToInt64(q.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static long Scalar(NpgsqlConnection c, string sql)
    {
        using var q = new NpgsqlCommand(sql, c);
        return Convert.ToInt64(q.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

public sealed record Verification(bool Passed, long SqliteCostNanos, long PostgresCostNanos, IReadOnlyList<string> Problems);
