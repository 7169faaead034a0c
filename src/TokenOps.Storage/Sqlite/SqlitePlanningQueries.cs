using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>Planning reads (<see cref="SqlPlanningQueries"/>) on the SQLite file.</summary>
public sealed class SqlitePlanningQueries(SqliteDatabase database) : SqlPlanningQueries(SqlDialect.Sqlite)
{
    protected override DbConnection Open() => database.Open();
}
