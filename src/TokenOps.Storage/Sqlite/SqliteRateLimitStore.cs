using System.Globalization;
using Microsoft.Data.Sqlite;

namespace TokenOps.Storage.Sqlite;

/// <summary>Rate limits set from the CLI; every change bumps rate_limits_version in the same transaction.</summary>
public sealed class SqliteRateLimitStore(SqliteDatabase database, TimeProvider time) : IRateLimitStore
{
    public long Version()
    {
        using var connection = database.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT version FROM rate_limits_version WHERE id = 1;";
        return query.ExecuteScalar() is long v ? v : 0;
    }

    public IReadOnlyList<StoredRateLimit> List()
    {
        using var connection = database.Open();
        using var query = connection.CreateCommand();
        // Ordinal order (BINARY collation), as PostgreSQL's "C".
        query.CommandText = "SELECT scope, requests_per_minute, tokens_per_minute, concurrent, updated_at FROM rate_limits ORDER BY scope;";
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
        using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = tx;
            upsert.CommandText = """
                INSERT INTO rate_limits (scope, requests_per_minute, tokens_per_minute, concurrent, updated_at) VALUES ($scope, $rpm, $tpm, $concurrent, $at)
                ON CONFLICT (scope) DO UPDATE SET requests_per_minute = excluded.requests_per_minute, tokens_per_minute = excluded.tokens_per_minute,
                    concurrent = excluded.concurrent, updated_at = excluded.updated_at;
                """;
            upsert.Parameters.AddWithValue("$scope", limit.Scope);
            upsert.Parameters.AddWithValue("$rpm", (object?)limit.RequestsPerMinute ?? DBNull.Value);
            upsert.Parameters.AddWithValue("$tpm", (object?)limit.TokensPerMinute ?? DBNull.Value);
            upsert.Parameters.AddWithValue("$concurrent", (object?)limit.Concurrent ?? DBNull.Value);
            upsert.Parameters.AddWithValue("$at", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
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
        using (var delete = connection.CreateCommand())
        {
            delete.Transaction = tx;
            delete.CommandText = "DELETE FROM rate_limits WHERE scope = $scope;";
            delete.Parameters.AddWithValue("$scope", scope);
            removed = delete.ExecuteNonQuery() > 0;
        }
        if (removed) Bump(connection, tx);
        tx.Commit();
        return removed;
    }

    private static long? Nullable(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    private static void Bump(SqliteConnection connection, SqliteTransaction tx)
    {
        using var bump = connection.CreateCommand();
        bump.Transaction = tx;
        bump.CommandText = "UPDATE rate_limits_version SET version = version + 1 WHERE id = 1;";
        bump.ExecuteNonQuery();
    }
}
