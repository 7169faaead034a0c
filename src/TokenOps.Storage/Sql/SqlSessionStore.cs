using System.Data.Common;

namespace TokenOps.Storage.Sql;

/// <summary>
/// <see cref="ISessionStore"/> in the same SQL on both backends. <see cref="Add"/>'s bounds hold under concurrent
/// sign-ins on several replicas because it runs serialisably: SQLite's write lock (BEGIN IMMEDIATE), PostgreSQL's
/// transaction-scoped advisory lock on the table.
/// </summary>
public abstract class SqlSessionStore : ISessionStore
{
    protected abstract DbConnection Open();

    /// <summary>A transaction in which no other <see cref="Add"/> runs at the same time.</summary>
    protected abstract DbTransaction BeginExclusive(DbConnection connection);

    public bool Add(StoredSession session, DateTimeOffset now, int maxPerPrincipal, int maxTotal)
    {
        using var connection = Open();
        using var tx = BeginExclusive(connection);
        Execute(connection, tx, "DELETE FROM dashboard_sessions WHERE expires_at <= @now", ("now", StoredRows.Time(now)));
        var own = Scalar(connection, tx, "SELECT COUNT(*) FROM dashboard_sessions WHERE principal = @p", ("p", session.Principal));
        if (own >= maxPerPrincipal) RemoveOldest(connection, tx, session.Principal, own - maxPerPrincipal + 1);
        var total = Scalar(connection, tx, "SELECT COUNT(*) FROM dashboard_sessions", null);
        if (total >= maxTotal)
        {
            var left = Scalar(connection, tx, "SELECT COUNT(*) FROM dashboard_sessions WHERE principal = @p", ("p", session.Principal));
            if (left == 0) return false;
            RemoveOldest(connection, tx, session.Principal, 1);
        }
        Execute(connection, tx, """
            INSERT INTO dashboard_sessions (token_hash, principal, role, person, team, transparency, key_id, created_at, expires_at)
            VALUES (@h, @p, @r, @person, @team, @t, @k, @c, @e)
            """, ("h", session.TokenHash), ("p", session.Principal), ("r", session.Role), ("person", session.Person), ("team", session.Team),
            ("t", session.Transparency), ("k", session.KeyId), ("c", StoredRows.Time(session.CreatedAt)), ("e", StoredRows.Time(session.ExpiresAt)));
        tx.Commit();
        return true;
    }

    public StoredSession? Find(string tokenHash, DateTimeOffset now)
    {
        using var connection = Open();
        using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT token_hash, principal, role, person, team, transparency, key_id, created_at, expires_at
            FROM dashboard_sessions WHERE token_hash = @h AND expires_at > @now
            """;
        SqlDialect.Parameter(query, "h", tokenHash);
        SqlDialect.Parameter(query, "now", StoredRows.Time(now));
        using var r = query.ExecuteReader();
        if (!r.Read()) return null;
        return new StoredSession(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
            r.IsDBNull(4) ? null : r.GetString(4), SqlDialect.Flag(r, 5), r.IsDBNull(6) ? null : r.GetString(6),
            StoredRows.ParseTime(r.GetString(7)), StoredRows.ParseTime(r.GetString(8)));
    }

    public void Remove(string tokenHash)
    {
        using var connection = Open();
        Execute(connection, null, "DELETE FROM dashboard_sessions WHERE token_hash = @h", ("h", tokenHash));
    }

    public int RemovePrincipal(string principal)
    {
        using var connection = Open();
        return Execute(connection, null, "DELETE FROM dashboard_sessions WHERE principal = @p", ("p", principal));
    }

    private static void RemoveOldest(DbConnection connection, DbTransaction tx, string principal, long count) =>
        Execute(connection, tx, $"""
            DELETE FROM dashboard_sessions WHERE token_hash IN (
                SELECT token_hash FROM dashboard_sessions WHERE principal = @p ORDER BY created_at, token_hash LIMIT {count})
            """, ("p", principal));

    private static int Execute(DbConnection connection, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) SqlDialect.Parameter(command, name, value);
        return command.ExecuteNonQuery();
    }

    private static long Scalar(DbConnection connection, DbTransaction tx, string sql, (string Name, object? Value)? parameter)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        if (parameter is { } p) SqlDialect.Parameter(command, p.Name, p.Value);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
