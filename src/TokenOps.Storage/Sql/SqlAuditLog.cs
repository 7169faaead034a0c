using System.Data.Common;
using TokenOps.Core.Audit;

namespace TokenOps.Storage.Sql;

/// <summary>
/// <see cref="IAuditLog"/> in the same SQL on both backends. Appends serialise (SQLite's write lock, a PostgreSQL
/// advisory lock) so each entry links to the true last one; triggers on the table refuse UPDATE and DELETE.
/// </summary>
public abstract class SqlAuditLog : IAuditLog
{
    protected abstract DbConnection Open();

    /// <summary>A transaction in which no other append runs at the same time.</summary>
    protected abstract DbTransaction BeginExclusive(DbConnection connection);

    private const string Columns = "seq, at, actor, origin, action, subject, before_value, after_value, prev_hash, hash";

    public AuditEntry Append(AuditEntry entry)
    {
        using var connection = Open();
        using var tx = BeginExclusive(connection);
        AuditEntry? last;
        using (var query = connection.CreateCommand())
        {
            query.Transaction = tx;
            query.CommandText = $"SELECT {Columns} FROM audit_log ORDER BY seq DESC LIMIT 1";
            using var r = query.ExecuteReader();
            last = r.Read() ? ReadEntry(r) : null;
        }
        var linked = AuditChain.Link(entry, last);
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = tx;
            insert.CommandText = $"INSERT INTO audit_log ({Columns}) VALUES (@seq, @at, @actor, @origin, @action, @subject, @before, @after, @prev, @hash)";
            SqlDialect.Parameter(insert, "seq", linked.Seq);
            SqlDialect.Parameter(insert, "at", StoredRows.Time(linked.At));
            SqlDialect.Parameter(insert, "actor", linked.Actor);
            SqlDialect.Parameter(insert, "origin", linked.Origin);
            SqlDialect.Parameter(insert, "action", linked.Action);
            SqlDialect.Parameter(insert, "subject", linked.Subject);
            SqlDialect.Parameter(insert, "before", linked.Before);
            SqlDialect.Parameter(insert, "after", linked.After);
            SqlDialect.Parameter(insert, "prev", linked.PrevHash);
            SqlDialect.Parameter(insert, "hash", linked.Hash);
            insert.ExecuteNonQuery();
        }
        tx.Commit();
        return linked;
    }

    public IReadOnlyList<AuditEntry> Read(DateTimeOffset? since = null)
    {
        using var connection = Open();
        using var query = connection.CreateCommand();
        query.CommandText = since is null
            ? $"SELECT {Columns} FROM audit_log ORDER BY seq"
            : $"SELECT {Columns} FROM audit_log WHERE at >= @since ORDER BY seq";
        if (since is { } s) SqlDialect.Parameter(query, "since", StoredRows.Time(s));
        using var r = query.ExecuteReader();
        var entries = new List<AuditEntry>();
        while (r.Read()) entries.Add(ReadEntry(r));
        return entries;
    }

    private static AuditEntry ReadEntry(DbDataReader r) => new()
    {
        Seq = r.GetInt64(0), At = StoredRows.ParseTime(r.GetString(1)), Actor = r.GetString(2), Origin = r.GetString(3),
        Action = r.GetString(4), Subject = r.GetString(5), Before = r.IsDBNull(6) ? null : r.GetString(6),
        After = r.IsDBNull(7) ? null : r.GetString(7), PrevHash = r.GetString(8), Hash = r.GetString(9),
    };
}
