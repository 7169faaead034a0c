using System.Data.Common;
using Microsoft.Data.Sqlite;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>The audit trail (<see cref="SqlAuditLog"/>) in the SQLite file; appends serialise on the write lock.</summary>
public sealed class SqliteAuditLog(SqliteDatabase database) : SqlAuditLog
{
    protected override DbConnection Open() => database.Open();

    protected override DbTransaction BeginExclusive(DbConnection connection) => ((SqliteConnection)connection).BeginTransaction(deferred: false);
}
