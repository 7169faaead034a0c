using System.Data.Common;

namespace TokenOps.Storage.Sql;

/// <summary>
/// <see cref="IResponseCacheStore"/> in the same SQL on both backends. A lookup is a read; it marks the entry used only
/// when its mark is at least <see cref="TouchResolutionMs"/> old, so a hot entry costs one write a second, not one per hit
/// (a write per hit took the SQLite write lock from the ledger writer and doubled a hit's CPU); a store and its eviction run in one exclusive transaction (SQLite's write lock,
/// PostgreSQL's advisory lock), so concurrent stores on several replicas keep the size bound.
/// </summary>
public abstract class SqlResponseCacheStore : IResponseCacheStore
{
    protected abstract DbConnection Open();

    /// <summary>A transaction in which no other <see cref="Put"/> runs at the same time.</summary>
    protected abstract DbTransaction BeginExclusive(DbConnection connection);

    /// <summary>The LRU order is kept to this resolution: entries used within the same second may evict in either order.</summary>
    public const long TouchResolutionMs = 1000;

    public ResponseCacheEntry? Get(string key, DateTimeOffset now)
    {
        using var connection = Open();
        var at = now.ToUnixTimeMilliseconds();
        ResponseCacheEntry entry;
        long lastUsed;
        using (var query = connection.CreateCommand())
        {
            query.CommandText = """
                SELECT answer, source_id, source_cost_nanos, created_at, expires_at, last_used FROM response_cache
                WHERE cache_key = @k AND expires_at > @now
                """;
            SqlDialect.Parameter(query, "k", key);
            SqlDialect.Parameter(query, "now", at);
            using var r = query.ExecuteReader();
            if (!r.Read()) return null;
            entry = new ResponseCacheEntry(key, r.GetString(0), r.GetString(1), r.GetInt64(2),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)));
            lastUsed = r.GetInt64(5);
        }
        if (at - lastUsed >= TouchResolutionMs)
            Execute(connection, null, "UPDATE response_cache SET last_used = @now WHERE cache_key = @k AND last_used < @now", ("k", key), ("now", at));
        return entry;
    }

    public void Put(ResponseCacheEntry entry, DateTimeOffset now, long maxTotalBytes)
    {
        var bytes = entry.Bytes;
        if (bytes > maxTotalBytes) return;
        using var connection = Open();
        using var tx = BeginExclusive(connection);
        var at = now.ToUnixTimeMilliseconds();
        Execute(connection, tx, """
            INSERT INTO response_cache (cache_key, answer, bytes, source_id, source_cost_nanos, created_at, expires_at, last_used)
            VALUES (@k, @a, @b, @s, @c, @created, @expires, @now)
            ON CONFLICT (cache_key) DO UPDATE SET answer = excluded.answer, bytes = excluded.bytes, source_id = excluded.source_id,
                source_cost_nanos = excluded.source_cost_nanos, created_at = excluded.created_at, expires_at = excluded.expires_at,
                last_used = excluded.last_used
            """, ("k", entry.Key), ("a", entry.Answer), ("b", bytes), ("s", entry.SourceId), ("c", entry.SourceCostNanos),
            ("created", entry.CreatedAt.ToUnixTimeMilliseconds()), ("expires", entry.ExpiresAt.ToUnixTimeMilliseconds()), ("now", at));
        Execute(connection, tx, "DELETE FROM response_cache WHERE expires_at <= @now", ("now", at));
        var total = Total(connection, tx);
        if (total > maxTotalBytes)
        {
            // Least recently used first; the entry just stored is the most recent, so it goes last (and it fits alone).
            var victims = new List<string>();
            using (var oldest = connection.CreateCommand())
            {
                oldest.Transaction = tx;
                oldest.CommandText = "SELECT cache_key, bytes FROM response_cache WHERE cache_key <> @k ORDER BY last_used, cache_key";
                SqlDialect.Parameter(oldest, "k", entry.Key);
                using var r = oldest.ExecuteReader();
                while (total > maxTotalBytes && r.Read())
                {
                    victims.Add(r.GetString(0));
                    total -= r.GetInt64(1);
                }
            }
            foreach (var victim in victims) Execute(connection, tx, "DELETE FROM response_cache WHERE cache_key = @k", ("k", victim));
        }
        tx.Commit();
    }

    public bool Evict(string key)
    {
        using var connection = Open();
        return Execute(connection, null, "DELETE FROM response_cache WHERE cache_key = @k", ("k", key)) > 0;
    }

    public long TotalBytes()
    {
        using var connection = Open();
        return Total(connection, null);
    }

    private static long Total(DbConnection connection, DbTransaction? tx)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "SELECT COALESCE(SUM(bytes), 0) FROM response_cache";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int Execute(DbConnection connection, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) SqlDialect.Parameter(command, name, value);
        return command.ExecuteNonQuery();
    }
}
