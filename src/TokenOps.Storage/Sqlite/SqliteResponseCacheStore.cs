using System.Data.Common;
using Microsoft.Data.Sqlite;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>The response cache (<see cref="SqlResponseCacheStore"/>) in the SQLite file; stores serialise on the write lock.</summary>
public sealed class SqliteResponseCacheStore(SqliteDatabase database) : SqlResponseCacheStore
{
    protected override DbConnection Open() => database.Open();

    protected override DbTransaction BeginExclusive(DbConnection connection) => ((SqliteConnection)connection).BeginTransaction(deferred: false);
}
