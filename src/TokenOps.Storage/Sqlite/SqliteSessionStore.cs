using System.Data.Common;
using Microsoft.Data.Sqlite;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>Dashboard sessions (<see cref="SqlSessionStore"/>) in the SQLite file; sign-ins serialise on the write lock.</summary>
public sealed class SqliteSessionStore(SqliteDatabase database) : SqlSessionStore
{
    protected override DbConnection Open() => database.Open();

    protected override DbTransaction BeginExclusive(DbConnection connection) => ((SqliteConnection)connection).BeginTransaction(deferred: false);
}
