using System.Data.Common;
using TokenOps.Core.Identity;

namespace TokenOps.Storage.Sql;

/// <summary><see cref="IAdminCredentialStore"/> in the same SQL on both backends; names are unique (a constraint).</summary>
public abstract class SqlAdminCredentialStore(TimeProvider time) : IAdminCredentialStore
{
    protected abstract DbConnection Open();

    private const string Columns = "id, name, scopes, display_prefix, created_at, revoked_at";

    public (AdminCredential Credential, string Secret) Create(string name, IReadOnlyList<string> scopes)
    {
        var secret = AdminCredentialFormat.NewSecret();
        var credential = new AdminCredential("cred_" + Guid.NewGuid().ToString("N")[..16], name, scopes, AdminCredentialFormat.Display(secret), time.GetUtcNow(), null);
        using var connection = Open();
        using var insert = connection.CreateCommand();
        insert.CommandText = $"INSERT INTO admin_credentials ({Columns}, hash) VALUES (@id, @name, @scopes, @prefix, @created, NULL, @hash)";
        SqlDialect.Parameter(insert, "id", credential.Id);
        SqlDialect.Parameter(insert, "name", name);
        SqlDialect.Parameter(insert, "scopes", string.Join(',', scopes));
        SqlDialect.Parameter(insert, "prefix", credential.DisplayPrefix);
        SqlDialect.Parameter(insert, "created", StoredRows.Time(credential.CreatedAt));
        SqlDialect.Parameter(insert, "hash", AdminCredentialFormat.Hash(secret));
        try
        {
            insert.ExecuteNonQuery();
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            throw new InvalidOperationException($"an admin credential named '{name}' exists; revoke it first or choose another name");
        }
        return (credential, secret);
    }

    public AdminCredential? FindBySecret(string secret)
    {
        using var connection = Open();
        using var query = connection.CreateCommand();
        query.CommandText = $"SELECT {Columns} FROM admin_credentials WHERE hash = @hash";
        SqlDialect.Parameter(query, "hash", AdminCredentialFormat.Hash(secret));
        using var r = query.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    public IReadOnlyList<AdminCredential> List()
    {
        using var connection = Open();
        using var query = connection.CreateCommand();
        query.CommandText = $"SELECT {Columns} FROM admin_credentials ORDER BY created_at, id";
        using var r = query.ExecuteReader();
        var list = new List<AdminCredential>();
        while (r.Read()) list.Add(Read(r));
        return list;
    }

    public bool Revoke(string name)
    {
        using var connection = Open();
        using var update = connection.CreateCommand();
        // The name is freed for a successor: a revoked credential keeps its row (and its audit entries) under a suffixed name.
        update.CommandText = "UPDATE admin_credentials SET revoked_at = @at, name = name || '#' || id WHERE name = @name AND revoked_at IS NULL";
        SqlDialect.Parameter(update, "at", StoredRows.Time(time.GetUtcNow()));
        SqlDialect.Parameter(update, "name", name);
        return update.ExecuteNonQuery() > 0;
    }

    private static AdminCredential Read(DbDataReader r) => new(r.GetString(0), r.GetString(1),
        r.GetString(2).Split(',', StringSplitOptions.RemoveEmptyEntries), r.GetString(3), StoredRows.ParseTime(r.GetString(4)),
        r.IsDBNull(5) ? null : StoredRows.ParseTime(r.GetString(5)));

    /// <summary>SQLite error 19 (constraint) or PostgreSQL 23505 (unique_violation).</summary>
    private static bool IsUniqueViolation(DbException ex) =>
        ex.SqlState == "23505" || ex is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 19 };
}
