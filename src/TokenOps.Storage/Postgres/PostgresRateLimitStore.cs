using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace TokenOps.Storage.Postgres;

/// <summary>
/// Rate limits set from the CLI, in PostgreSQL, behaving exactly as <see cref="Sqlite.SqliteRateLimitStore"/> (the
/// shared conformance suite checks it): every change bumps rate_limits_version in the same transaction.
/// </summary>
public sealed class PostgresRateLimitStore(PostgresDatabase database, TimeProvider time) : IRateLimitStore
{
    public long Version()
    {
        using var connection = database.Open();
        using var query = new NpgsqlCommand("SELECT version FROM rate_limits_version WHERE id = 1;", connection);
        return query.ExecuteScalar() is long v ? v : 0;
    }

    public IReadOnlyList<StoredRateLimit> List()
    {
        using var connection = database.Open();
        using var query = new NpgsqlCommand(
            "SELECT scope, requests_per_minute, tokens_per_minute, concurrent, updated_at FROM rate_limits ORDER BY scope COLLATE \"C\";", connection);
        using var r = query.ExecuteReader();
        var list = new List<StoredRateLimit>();
        while (r.Read())
            list.Add(new StoredRateLimit(r.GetString(0), Nullable(r, 1), Nullable(r, 2), Nullable(r, 3),
                DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture)));
        return list;
    }

    public void Set(StoredRateLimit limit)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        using (var upsert = new NpgsqlCommand("""
            INSERT INTO rate_limits (scope, requests_per_minute, tokens_per_minute, concurrent, updated_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (scope) DO UPDATE SET requests_per_minute = excluded.requests_per_minute, tokens_per_minute = excluded.tokens_per_minute,
                concurrent = excluded.concurrent, updated_at = excluded.updated_at;
            """, connection, tx))
        {
            upsert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = limit.Scope });
            upsert.Parameters.Add(Long(limit.RequestsPerMinute));
            upsert.Parameters.Add(Long(limit.TokensPerMinute));
            upsert.Parameters.Add(Long(limit.Concurrent));
            upsert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) });
            upsert.ExecuteNonQuery();
        }
        Bump(connection, tx);
        tx.Commit();
    }

    public bool Delete(string scope)
    {
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        bool removed;
        using (var delete = new NpgsqlCommand("DELETE FROM rate_limits WHERE scope = $1;", connection, tx))
        {
            delete.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = scope });
            removed = delete.ExecuteNonQuery() > 0;
        }
        if (removed) Bump(connection, tx);
        tx.Commit();
        return removed;
    }

    private static long? Nullable(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    private static NpgsqlParameter Long(long? value) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (object?)value ?? DBNull.Value };

    private static void Bump(NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        using var bump = new NpgsqlCommand("UPDATE rate_limits_version SET version = version + 1 WHERE id = 1;", connection, tx);
        bump.ExecuteNonQuery();
    }
}
