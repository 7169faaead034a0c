using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>The report's usage reader (<see cref="SqlUsageReader"/>) on the SQLite file.</summary>
public sealed class SqliteUsageReader(SqliteDatabase database) : SqlUsageReader
{
    protected override DbConnection Open() => database.Open();
}
