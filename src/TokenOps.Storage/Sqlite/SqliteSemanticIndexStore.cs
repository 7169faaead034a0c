using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>The semantic cache's index entries (<see cref="SqlSemanticIndexStore"/>) in the SQLite file.</summary>
public sealed class SqliteSemanticIndexStore(SqliteDatabase database) : SqlSemanticIndexStore
{
    protected override DbConnection Open() => database.Open();
}
