using System.Data.Common;

namespace TokenOps.Storage.Sql;

/// <summary><see cref="ILedgerRetention"/> in the same SQL on both backends (the started_at index serves both statements).</summary>
public abstract class SqlLedgerRetention : ILedgerRetention
{
    protected abstract DbConnection Open();

    public abstract IDisposable? TryLock();

    public long CountBefore(DateTimeOffset cutoff)
    {
        using var connection = Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT COUNT(*) FROM ledger WHERE started_at < @cutoff";
        SqlDialect.Parameter(query, "cutoff", StoredRows.Time(cutoff));
        return Convert.ToInt64(query.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public int Purge(IReadOnlyList<string> ids)
    {
        if (ids.Count == 0) return 0;
        using var connection = Open();
        using var tx = connection.BeginTransaction();
        using var delete = connection.CreateCommand();
        delete.Transaction = tx;
        delete.CommandText = $"DELETE FROM ledger WHERE id IN ({string.Join(", ", ids.Select((_, i) => "@p" + i))})";
        for (var i = 0; i < ids.Count; i++) SqlDialect.Parameter(delete, "p" + i, ids[i]);
        var deleted = delete.ExecuteNonQuery();
        tx.Commit();
        return deleted;
    }
}
