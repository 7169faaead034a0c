using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>Savings reads (<see cref="SqlSavingsQueries"/>) on the SQLite file.</summary>
public sealed class SqliteSavingsQueries(SqliteDatabase database) : SqlSavingsQueries(SqlDialect.Sqlite, new RollupQueries(database))
{
    protected override DbConnection Open() => database.Open();
}
