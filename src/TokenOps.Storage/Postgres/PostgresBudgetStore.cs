using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using TokenOps.Core.Budgets;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Postgres;

/// <summary>
/// Budgets in PostgreSQL and the ledger spend that opens budget counters, behaving exactly as
/// <see cref="SqliteBudgetStore"/> (the shared conformance suite checks it): every change bumps budgets_version in the
/// same transaction, so every gateway replica on the database sees it by polling <see cref="Version"/>.
/// </summary>
public sealed class PostgresBudgetStore(PostgresDatabase database, TimeProvider time) : IBudgetStore
{
    private const string Columns = "id, level, name, limit_nanos, period, time_zone, mode, soft_action, rollover, rollover_ceiling_nanos, updated_at";

    private static readonly string UpsertSql =
        $"INSERT INTO budgets ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) " +
        $"ON CONFLICT (id) DO UPDATE SET {string.Join(", ", Columns.Split(", ").Skip(1).Select(c => $"{c} = excluded.{c}"))};";

    public long Version()
    {
        using var connection = database.Open();
        using var query = new NpgsqlCommand("SELECT version FROM budgets_version WHERE id = 1;", connection);
        return query.ExecuteScalar() is long v ? v : 0;
    }

    public IReadOnlyList<StoredBudget> List()
    {
        using var connection = database.Open();
        using var query = new NpgsqlCommand($"SELECT {Columns} FROM budgets ORDER BY id COLLATE \"C\";", connection);
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

    /// <summary>Inserts or replaces the budget with this id and bumps the version, in one transaction.</summary>
    public void Set(StoredBudget b)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        using (var upsert = new NpgsqlCommand(UpsertSql, connection, tx))
        {
            upsert.Parameters.Add(Text(b.Id));
            upsert.Parameters.Add(Text(b.Level.ToString()));
            upsert.Parameters.Add(Text(b.Name));
            upsert.Parameters.Add(Long(b.LimitNanos));
            upsert.Parameters.Add(Text(b.Period));
            upsert.Parameters.Add(Text(b.TimeZone));
            upsert.Parameters.Add(Text(b.Mode.ToString()));
            upsert.Parameters.Add(Text(b.SoftAction.ToString()));
            upsert.Parameters.Add(Long(b.Rollover ? 1 : 0));
            upsert.Parameters.Add(Long(b.RolloverCeilingNanos));
            upsert.Parameters.Add(Text(time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture)));
            upsert.ExecuteNonQuery();
        }
        Bump(connection, tx);
        tx.Commit();
    }

    /// <summary>Deletes the budget and bumps the version, in one transaction; false (and no bump) when no budget has this id.</summary>
    public bool Delete(string id)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        bool removed;
        using (var delete = new NpgsqlCommand("DELETE FROM budgets WHERE id = $1;", connection, tx))
        {
            delete.Parameters.Add(Text(id));
            removed = delete.ExecuteNonQuery() > 0;
        }
        if (removed) Bump(connection, tx);
        tx.Commit();
        return removed;
    }

    /// <summary>SUM(cost_nanos) of the ledger rows this budget covers, started in [from, to).</summary>
    public long SpentNanos(BudgetPolicy policy, DateTimeOffset from, DateTimeOffset to)
    {
        using var connection = database.Open();
        var filter = policy.Level switch
        {
            BudgetLevel.Person => "person = $3 AND ",
            BudgetLevel.Team => "team = $3 AND ",
            BudgetLevel.Project => "project = $3 AND ",
            _ => "",
        };
        // SUM(bigint) is numeric in PostgreSQL: back to bigint, as SQLite's integer sum.
        using var query = new NpgsqlCommand(
            $"SELECT COALESCE(SUM(cost_nanos), 0)::bigint FROM ledger WHERE {filter}started_at >= $1 AND started_at < $2;", connection);
        query.Parameters.Add(Text(LedgerTime(from)));
        query.Parameters.Add(Text(LedgerTime(to)));
        if (filter.Length > 0) query.Parameters.Add(Text(policy.Name));
        return (long)query.ExecuteScalar()!;
    }

    // The ledger's own text form of time (fixed width, "C" collation, so text order is time order).
    private static string LedgerTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static void Bump(NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        using var bump = new NpgsqlCommand("UPDATE budgets_version SET version = version + 1 WHERE id = 1;", connection, tx);
        bump.ExecuteNonQuery();
    }

    private static NpgsqlParameter Text(string value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = value };
    private static NpgsqlParameter Long(long value) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = value };
}
