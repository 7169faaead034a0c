using System.Data.Common;
using System.Runtime.InteropServices;

namespace TokenOps.Storage.Sql;

/// <summary>
/// <see cref="ISemanticIndexStore"/> in the same SQL on both backends: table <c>semantic_index</c>, one row per
/// (tenant, entry key), vectors as little-endian float32 bytes, times in Unix milliseconds.
/// </summary>
public abstract class SqlSemanticIndexStore : ISemanticIndexStore
{
    protected abstract DbConnection Open();

    public void Add(SemanticIndexRecord record)
    {
        ArgumentException.ThrowIfNullOrEmpty(record.Tenant);
        ArgumentException.ThrowIfNullOrEmpty(record.EntryKey);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO semantic_index (tenant, entry_key, context_hash, guard_hash, vector, expires_at)
            VALUES (@t, @k, @c, @g, @v, @e)
            ON CONFLICT (tenant, entry_key) DO UPDATE SET expires_at = excluded.expires_at
            """;
        SqlDialect.Parameter(command, "t", record.Tenant);
        SqlDialect.Parameter(command, "k", record.EntryKey);
        SqlDialect.Parameter(command, "c", unchecked((long)record.ContextHash));
        SqlDialect.Parameter(command, "g", unchecked((long)record.GuardHash));
        SqlDialect.Parameter(command, "v", MemoryMarshal.AsBytes(record.Vector.AsSpan()).ToArray());
        SqlDialect.Parameter(command, "e", record.ExpiresAt.ToUnixTimeMilliseconds());
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<SemanticIndexRecord> ReadAfter(long afterSequence, DateTimeOffset now, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT seq, tenant, entry_key, context_hash, guard_hash, vector, expires_at FROM semantic_index
            WHERE seq > @after AND expires_at > @now ORDER BY seq LIMIT @limit
            """;
        SqlDialect.Parameter(command, "after", afterSequence);
        SqlDialect.Parameter(command, "now", now.ToUnixTimeMilliseconds());
        SqlDialect.Parameter(command, "limit", limit);
        var records = new List<SemanticIndexRecord>();
        using var r = command.ExecuteReader();
        while (r.Read())
        {
            var bytes = (byte[])r.GetValue(5);
            var vector = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
            records.Add(new SemanticIndexRecord(r.GetString(1), unchecked((ulong)r.GetInt64(3)), unchecked((ulong)r.GetInt64(4)), vector,
                r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6))) { Sequence = r.GetInt64(0) });
        }
        return records;
    }

    public int PurgeExpired(DateTimeOffset now)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM semantic_index WHERE expires_at <= @now";
        SqlDialect.Parameter(command, "now", now.ToUnixTimeMilliseconds());
        return command.ExecuteNonQuery();
    }
}
