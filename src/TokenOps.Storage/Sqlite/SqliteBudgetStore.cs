using System.Globalization;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;

namespace TokenOps.Storage.Sqlite;

/// <summary>
/// Budgets set from the CLI or admin API, and the ledger spend queries that open budget counters (the ledger is the
/// source of truth). Every change bumps budgets_version in the same transaction, so a gateway on the same data
/// directory sees it by polling <see cref="Version"/>.
/// </summary>
public sealed class SqliteBudgetStore(SqliteDatabase database, TimeProvider time) : IBudgetStore
{
    private const string Columns = "id, level, name, limit_nanos, period, time_zone, mode, soft_action, rollover, rollover_ceiling_nanos, updated_at";

    public long Version()
    {
        using var connection = database.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT version FROM budgets_version WHERE id = 1;";
        return query.ExecuteScalar() is long v ? v : 0;
    }

    public IReadOnlyList<StoredBudget> List()
    {
        using var connection = database.Open();
        using var query = connection.CreateCommand();
        query.CommandText = $"SELECT {Columns} FROM budgets ORDER BY id;";
        using var r = query.ExecuteReader();
        var list = new List<StoredBudget>();
        while (r.Read())
        {
            list.Add(new StoredBudget(r.GetString(0), Enum.Parse<BudgetLevel>(r.GetString(1)), r.GetString(2), r.GetInt64(3),
                r.GetString(4), r.GetString(5), Enum.Parse<BudgetMode>(r.GetString(6)), Enum.Parse<SoftAction>(r.GetString(7)),
                r.GetInt64(8) != 0, r.GetInt64(9), DateTimeOffset.Parse(r.GetString(10), CultureInfo.InvariantCulture)));
        }
        return list;
    }

    /// <summary>Inserts or replaces the budget with this id and bumps the version.</summary>
    public void Set(StoredBudget b)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = tx;
            upsert.CommandText = $"INSERT OR REPLACE INTO budgets ({Columns}) VALUES ($id, $level, $name, $limit, $period, $tz, $mode, $soft, $rollover, $ceiling, $at);";
            upsert.Parameters.AddWithValue("$id", b.Id);
            upsert.Parameters.AddWithValue("$level", b.Level.ToString());
            upsert.Parameters.AddWithValue("$name", b.Name);
            upsert.Parameters.AddWithValue("$limit", b.LimitNanos);
            upsert.Parameters.AddWithValue("$period", b.Period);
            upsert.Parameters.AddWithValue("$tz", b.TimeZone);
            upsert.Parameters.AddWithValue("$mode", b.Mode.ToString());
            upsert.Parameters.AddWithValue("$soft", b.SoftAction.ToString());
            upsert.Parameters.AddWithValue("$rollover", b.Rollover ? 1 : 0);
            upsert.Parameters.AddWithValue("$ceiling", b.RolloverCeilingNanos);
            upsert.Parameters.AddWithValue("$at", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            upsert.ExecuteNonQuery();
        }
        Bump(connection, tx);
        tx.Commit();
    }

    public bool Delete(string id)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        using var delete = connection.CreateCommand();
        delete.Transaction = tx;
        delete.CommandText = "DELETE FROM budgets WHERE id = $id;";
        delete.Parameters.AddWithValue("$id", id);
        var removed = delete.ExecuteNonQuery() > 0;
        if (removed) Bump(connection, tx);
        tx.Commit();
        return removed;
    }

    /// <summary>SUM(cost_nanos) of the ledger rows this budget covers, started in [from, to).</summary>
    public long SpentNanos(BudgetPolicy policy, DateTimeOffset from, DateTimeOffset to)
    {
        using var connection = database.Open();
        using var query = connection.CreateCommand();
        var filter = policy.Level switch
        {
            BudgetLevel.Person => "person = $name AND ",
            BudgetLevel.Team => "team = $name AND ",
            BudgetLevel.Project => "project = $name AND ",
            _ => "",
        };
        query.CommandText = $"SELECT COALESCE(SUM(cost_nanos), 0) FROM ledger WHERE {filter}started_at >= $from AND started_at < $to;";
        query.Parameters.AddWithValue("$name", policy.Name);
        query.Parameters.AddWithValue("$from", LedgerTime(from));
        query.Parameters.AddWithValue("$to", LedgerTime(to));
        return (long)query.ExecuteScalar()!;
    }

    public static long Nanos(decimal usd) => NanoUsd.FromUsd(usd);

    // The ledger's own text form of time (fixed width, so text order is time order).
    private static string LedgerTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static void Bump(SqliteConnection connection, SqliteTransaction tx)
    {
        using var bump = connection.CreateCommand();
        bump.Transaction = tx;
        bump.CommandText = "UPDATE budgets_version SET version = version + 1 WHERE id = 1;";
        bump.ExecuteNonQuery();
    }
}
