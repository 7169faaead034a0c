using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>The rollup reads (<see cref="SqlRollupQueries"/>) on the SQLite file.</summary>
public sealed class RollupQueries(SqliteDatabase database) : SqlRollupQueries(SqlDialect.Sqlite)
{
    protected override DbConnection Open() => database.Open();
}
